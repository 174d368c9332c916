import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLI_LOGIN_DEADLINE_MS, LoginFailed, loginWhatsApp } from '../../src/cli/channels-login.js';

// The login loop of `clawgate channels login whatsapp` in-process, with an injected clock: it gives up at 180 s
// and never asks the gateway to wait past its deadline.

test('the loop gives up at 180 s when the QR is never scanned, and no wait reaches past the deadline', async () => {
  let now = 0;
  const asked: { method: string; timeoutMs?: number }[] = [];
  const gw = {
    async request(method: string, params: unknown) {
      const p = params as { timeoutMs?: number };
      asked.push({ method, timeoutMs: p.timeoutMs });
      now += p.timeoutMs ?? 0; // the gateway answers at the timeout: nothing new
      return method === 'web.login.start'
        ? { connected: false, message: 'Scan', qr: 'ref1', qrDataUrl: 'data:image/png;base64,UkVGMQ==' }
        : { connected: false, message: 'waiting for the QR code to be scanned', qr: 'ref1', qrDataUrl: 'data:image/png;base64,UkVGMQ==' };
    },
  };
  const out: string[] = [];
  await assert.rejects(loginWhatsApp(gw, {}, { out: (t) => out.push(t), now: () => now, renderQr: async (q) => `[${q}]\n` }),
    (err: unknown) => err instanceof LoginFailed && /not linked within 180 s/.test(err.message));
  assert.equal(now, CLI_LOGIN_DEADLINE_MS);
  assert.equal(asked[0]?.method, 'web.login.start');
  assert.ok(asked.slice(1).every((a) => a.method === 'web.login.wait'));
  assert.equal(out.filter((t) => t.includes('[ref1]')).length, 1, 'an unchanged QR is not redrawn');
});

test('a gateway that answers "no login in progress" ends the loop (exit 1), no busy loop', async () => {
  let waits = 0;
  const gw = {
    async request(method: string) {
      if (method === 'web.login.start') return { connected: false, message: 'waiting for the QR code to be scanned' };
      waits++;
      return { connected: false, message: 'no WhatsApp login in progress: call web.login.start' };
    },
  };
  await assert.rejects(loginWhatsApp(gw, {}, { out: () => {}, now: () => 0 }), LoginFailed);
  assert.equal(waits, 1);
});
