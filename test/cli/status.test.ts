import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { VERSION } from '../../src/core/version.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { postJson } from '../helpers/json-http.js';
import { assertBuilt, exits, failsWith, freePort, killAll, runCli } from '../helpers/cli.js';

// `clawgate status` as a subprocess against a gateway started here: version, uptime, planes, sessions, runs,
// connections (WS `status` and `health`, HTTP `/readyz`); the same connection flags and exit codes as devices.

const TOKEN = 'status-cli-test-token-0123456789abcdefghij';

describe('clawgate status', () => {
  let g: TestGateway;
  let conn: string[];

  before(async () => {
    assertBuilt();
    g = await startTestGateway({ token: TOKEN });
    conn = ['--port', String(g.port), '--token', TOKEN];
  });
  after(async () => {
    await g?.close();
    await killAll();
  });

  test('prints version, uptime, both planes ready, sessions, runs and connections', async () => {
    const res = await postJson(`${g.url}/v1/gateway/messages`, { from: 'status-user', text: 'hello' }, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const r = await runCli(['status', ...conn]);
    exits(r, 0);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, new RegExp(`^gateway    ws://127\\.0\\.0\\.1:${g.port}\n`));
    assert.match(r.stdout, new RegExp(`^version    ${VERSION.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(r.stdout, /^uptime {5}\d+[dhms]( \d+[hms])?$/m);
    assert.match(r.stdout, /^planes {5}http ready, ws ready$/m);
    assert.match(r.stdout, /^sessions {3}1 stored, \d+ active$/m);
    assert.match(r.stdout, /^runs {7}0 running, 1 finished \(retained\)$/m);
    assert.match(r.stdout, /^clients {4}1 WebSocket connections$/m, 'the CLI itself is connected');
    assert.ok(!r.stdout.includes(TOKEN));
  });

  test('--json: the same facts as fields', async () => {
    const r = await runCli(['status', '--json', ...conn]);
    exits(r, 0);
    const s = JSON.parse(r.stdout);
    assert.equal(s.version, VERSION);
    assert.deepEqual(s.planes, { http: 'ready', ws: 'ready' });
    assert.equal(typeof s.uptimeMs, 'number');
    assert.equal(s.sessions.count, 1);
    assert.equal(s.stateDir, g.config.stateDir);
    assert.equal(s.connections, 1);
  });

  test('exit codes: wrong token 1, nothing listening 69, usage 2', async () => {
    failsWith(await runCli(['status', '--port', String(g.port), '--token', 'x'.repeat(40)]), 1);
    failsWith(await runCli(['status', '--port', String(await freePort()), '--token', TOKEN]), 69, /not reachable/);
    failsWith(await runCli(['status', 'extra', ...conn]), 2, /unexpected argument "extra"/);
  });
});
