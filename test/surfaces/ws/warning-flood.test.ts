import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { resolveConfig } from '../../../src/config.js';
import { startGateway } from '../../../src/main.js';
import { SUMMARY_MESSAGE } from '../../../src/core/repeated-warnings.js';
import { connectParams, connectRaw, refusedUpgrade, TOKEN, wsUrl } from '../../helpers/ws-raw.js';

// A remote peer must not be able to flood the log: 200 refused connections (a foreign Origin, sent with
// forwarding headers from a peer that is not a trusted proxy) and 20 failed handshakes give a handful of
// warn lines, and the summaries written at shutdown account for every refusal. The gateway's own pino
// logger is captured.

const REFUSED = 200;
const BAD_TOKENS = 20;
const ORIGIN = 'upgrade refused: origin not allowed';
const FORWARDING = 'forwarding headers from a peer that is not a trusted proxy: treated as remote';
const HANDSHAKE = 'ws handshake failed';

test(`${REFUSED} refused upgrades and ${BAD_TOKENS} failed handshakes write a handful of warn lines, with counts`, async () => {
  const lines: Record<string, any>[] = [];
  const log = pino({ level: 'warn' }, { write: (s: string) => { lines.push(JSON.parse(s)); } });
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-test-'));
  const gw = await startGateway({ ...resolveConfig({}), port: 0, stateDir, token: TOKEN }, log);
  try {
    for (let i = 0; i < REFUSED; i += 20) {
      const batch = Array.from({ length: 20 }, (_, j) => refusedUpgrade(wsUrl(gw.port), {
        headers: { Origin: `http://evil${i + j}.example`, 'X-Forwarded-For': '203.0.113.7' },
      }));
      for (const r of await Promise.all(batch)) assert.equal(r.status, 403);
    }
    for (let i = 0; i < BAD_TOKENS; i++) {
      const { c, res } = await connectRaw(wsUrl(gw.port), connectParams({ auth: { token: `wrong-${'x'.repeat(40)}` } }));
      assert.equal(res.ok, false);
      await c.closed;
    }
    const warns = lines.filter((l) => l.level === 40);
    assert.ok(warns.length <= 6, `at most a handful of warn lines before shutdown, got ${warns.length}: ${JSON.stringify(warns.map((l) => l.msg))}`);
  } finally {
    await gw.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
  // every occurrence is either logged on its own or counted in a summary
  const warns = lines.filter((l) => l.level === 40);
  const total = (reason: string) => warns.filter((l) => l.msg === reason).length
    + warns.filter((l) => l.msg === SUMMARY_MESSAGE && l.reason === reason).reduce((n, l) => n + l.count, 0);
  assert.equal(total(ORIGIN), REFUSED);
  assert.equal(total(FORWARDING), REFUSED);
  assert.equal(total(HANDSHAKE), BAD_TOKENS);
  const first = warns.find((l) => l.msg === ORIGIN)!;
  assert.equal(first.origin, 'http://evil0.example', 'the first occurrence keeps its details');
  assert.equal(first.fix, '--allowed-origins http://evil0.example', 'and names the fix (S7)');
  for (const s of warns.filter((l) => l.msg === SUMMARY_MESSAGE)) assert.equal(s.windowMs, 10_000);
});
