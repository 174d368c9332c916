import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Page } from 'playwright-core';
import { type GatewayConfig, resolveConfig } from '../../src/config.js';
import { startGateway } from '../../src/main.js';
import type { TestGateway } from '../helpers/gateway.js';
import { adminClient, stopClient } from '../helpers/ws-client.js';
import { until } from '../helpers/wait.js';
import type { TestPage } from './harness.js';

// Shared steps of the WebChat connection page tests (web-surfaces WT1–WT6). The chat view is another file's
// work: to show that a connected page "can chat", the test sends `chat.send` over the page's own socket (found
// by an init script that only records the sockets the page opens; nothing of it ships) and asserts the ack and
// the final reply in the page's received frames.

/** The init script that records the page's WebSockets in `window.__clawgateSockets` (test only). */
export const RECORD_SOCKETS = `(() => {
  const Native = window.WebSocket;
  const sockets = (window.__clawgateSockets = []);
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); sockets.push(this); }
  };
})();`;

/** Records the page's sockets from the next navigation on. */
export async function recordSockets(page: Page): Promise<void> {
  await page.addInitScript(RECORD_SOCKETS);
}

/** Sends `chat.send` over the page's newest socket and waits for the ack and the final `Echo: <text>`. */
export async function chatThroughPage(p: TestPage, text: string, key: string): Promise<void> {
  const id = `test-chat-${key}`;
  await p.page.evaluate(({ id, text, key }) => {
    const sockets = (window as unknown as { __clawgateSockets: WebSocket[] }).__clawgateSockets;
    const ws = sockets[sockets.length - 1];
    // the page says `session-scoped-events`: chat events come only for sessions it subscribed to
    ws.send(JSON.stringify({ type: 'req', id: `${id}-sub`, method: 'sessions.messages.subscribe', params: { key: 'agent:main:main' } }));
    ws.send(JSON.stringify({ type: 'req', id, method: 'chat.send', params: { sessionKey: 'agent:main:main', message: text, idempotencyKey: key } }));
  }, { id, text, key });
  await waitFrames(() => p.json('received').some((f) => f.type === 'res' && f.id === id && f.ok === true), `chat.send ack ${id}`);
  await waitFrames(() => p.frames().some((f) => f.dir === 'received' && f.payload.includes('"final"') && f.payload.includes(`Echo: ${text}`)),
    `the final Echo: ${text}`);
}

/** The `connect` requests the page sent, in order. */
export function connects(p: TestPage): Record<string, any>[] {
  return p.json('sent').filter((f) => f.method === 'connect');
}

/** Waits (bounded) until the recorded frames satisfy `check`. */
export function waitFrames(check: () => boolean, what: string): Promise<void> {
  return until(check, what, 20_000, 50);
}

/** A test gateway whose log lines (info and up) are kept, for assertions on what it logged. */
export interface LoggedGateway extends TestGateway {
  lines: Record<string, any>[];
}

/** startTestGateway with a log that keeps its lines. */
export async function startLoggedGateway(overrides: Partial<GatewayConfig> = {}): Promise<LoggedGateway> {
  const lines: Record<string, any>[] = [];
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-test-'));
  const config: GatewayConfig = { ...resolveConfig({}), port: 0, stateDir, shutdownGraceMs: 0, ...overrides };
  const gw = await startGateway(config, pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) }));
  return {
    gw, config, lines, port: gw.port, url: `http://127.0.0.1:${gw.port}`,
    async close() {
      await gw.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * Opens `url` behind a proxy, enters `token` (remembered unless `remember` is false), approves the pairing the
 * page waits for (a proxied browser is never direct-local) over a direct admin socket to `gw`, runs the page
 * clock (installed by the caller) past the 5 s retry, and waits for Connected. Returns the last `connect`.
 */
export async function pairThroughProxy(p: TestPage, url: string, token: string, gw: TestGateway, remember = true): Promise<Record<string, any>> {
  const before = connects(p).length;
  await p.page.goto(url);
  await p.page.getByLabel('Gateway token').fill(token);
  if (remember) await p.page.getByRole('checkbox', { name: 'Remember on this browser' }).check();
  await p.page.getByRole('button', { name: 'Connect' }).click();
  await p.page.getByText('Waiting for approval').waitFor();
  const refusal = p.json('received').filter((f) => f.type === 'res' && f.ok === false).at(-1);
  assert.equal(refusal?.error?.details?.code, 'PAIRING_REQUIRED', 'a proxied browser is never direct-local');
  const op = await adminClient(gw.url, 'owner', token);
  try {
    await op.request('device.pair.approve', { requestId: refusal.error.details.requestId });
  } finally {
    await stopClient(op);
  }
  await p.page.clock.runFor(5_000);
  await p.page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
  return connects(p).slice(before).at(-1)!;
}
