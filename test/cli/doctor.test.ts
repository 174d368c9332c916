import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { assertBuilt, childEnv, exits, freePort, killAll, runCli, tempDir, type Exited } from '../helpers/cli.js';

// `clawgate doctor` as a subprocess (dist/src/cli/main.js, built by `npm run build`): exit 0 when healthy, 1 with
// each problem and its fix. The model endpoint is a fake /v1/models server on 127.0.0.1 (no internet).

const STRONG = 'doctor-test-token-0123456789abcdefghijklmnop';

interface Doctor {
  ok: boolean;
  checks: { check: string; ok: boolean; detail: string; fix?: string }[];
}

function report(r: Exited, code: number): Doctor {
  exits(r, code);
  assert.equal(r.stderr, '');
  return JSON.parse(r.stdout) as Doctor;
}

const failed = (d: Doctor) => d.checks.filter((c) => !c.ok).map((c) => c.check);

/** A fake OpenAI-compatible `GET /v1/models`: 200 for the right key, 401 otherwise. */
async function fakeModels(): Promise<{ url: string; server: HttpServer }> {
  const server = createHttpServer((req, res) => {
    if (req.url !== '/v1/models') return res.writeHead(404).end();
    if (req.headers.authorization !== 'Bearer sk-good') return res.writeHead(401).end('{"error":"bad key"}');
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"object":"list","data":[{"id":"gpt-4o-mini"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, server };
}

describe('clawgate doctor', () => {
  let taken: Server;
  let takenPort: number;
  let models: { url: string; server: HttpServer };

  before(async () => {
    assertBuilt();
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    takenPort = (taken.address() as AddressInfo).port;
    models = await fakeModels();
  });
  after(async () => {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
    await new Promise<void>((resolve) => models.server.close(() => resolve()));
    await killAll();
  });

  test('healthy: fresh state dir, free port, strong token → exit 0, every check ok', async () => {
    const port = String(await freePort());
    const r = await runCli(['doctor', '--state-dir', join(tempDir(), 'new'), '--port', port, '--token', STRONG]);
    exits(r, 0);
    assert.match(r.stdout, /^ok\s+node\s+Node\.js /m);
    assert.match(r.stdout, /^ok\s+port\s+127\.0\.0\.1:\d+ is free$/m);
    assert.match(r.stdout, /\nhealthy\n$/);
    assert.doesNotMatch(r.stdout, /PROBLEM|fix:/);
    assert.ok(!r.stdout.includes(STRONG), 'the token is never printed');
    const d = report(await runCli(['doctor', '--json', '--state-dir', tempDir(), '--port', port, '--token', STRONG]), 0);
    assert.equal(d.ok, true);
    assert.deepEqual(d.checks.map((c) => c.check), ['node', 'config', 'state-dir', 'lock', 'database', 'port', 'token', 'model']);
  });

  test('weak token and a port in use → exit 1, each problem with its fix', async () => {
    const weak = 'a'.repeat(40); // long enough, but one distinct character
    const r = await runCli(['doctor', '--state-dir', tempDir(), '--port', String(takenPort), '--token', weak]);
    exits(r, 1);
    assert.match(r.stdout, new RegExp(`^PROBLEM\\s+port\\s+127\\.0\\.0\\.1:${takenPort} is already in use\\n\\s+fix: .*--port`, 'm'));
    assert.match(r.stdout, /(^PROBLEM\s+token\s+the token has only 1 distinct characters \(need 16\)\n\s+fix: .*openssl rand)|(^PROBLEM\s+config\s+.*--token)/m);
    assert.match(r.stdout, /\n\d problems? found\n$/);
    assert.ok(!r.stdout.includes(weak), 'the token is never printed');
  });

  test('a corrupt database, a live lock holder, a state dir that is a file → exit 1 naming the path', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'clawgate.db'), 'this is not a SQLite database, only text '.repeat(200));
    writeFileSync(join(dir, 'gateway.lock'), JSON.stringify({ pid: process.pid })); // this test runner: alive
    const d = report(await runCli(['doctor', '--json', '--state-dir', dir, '--port', '0']), 1);
    assert.deepEqual(failed(d), ['lock', 'database']);
    const db = d.checks.find((c) => c.check === 'database')!;
    assert.ok(db.detail.includes(join(dir, 'clawgate.db')), db.detail);
    assert.match(db.fix!, /move it aside \(mv .*clawgate\.db .*clawgate\.db\.corrupt/);
    assert.match(d.checks.find((c) => c.check === 'lock')!.detail, new RegExp(`pid ${process.pid}`));

    // a dead holder is no problem (the gateway takes a stale lock over)
    const stale = tempDir();
    mkdirSync(stale, { recursive: true });
    writeFileSync(join(stale, 'gateway.lock'), '2147483646\n');
    const ok = report(await runCli(['doctor', '--json', '--state-dir', stale, '--port', '0']), 0);
    assert.match(ok.checks.find((c) => c.check === 'lock')!.detail, /stale lock of pid 2147483646/);

    const file = join(tempDir(), 'file');
    writeFileSync(file, 'x');
    const f = report(await runCli(['doctor', '--json', '--state-dir', file, '--port', '0']), 1);
    assert.deepEqual(failed(f), ['state-dir']);
    assert.match(f.checks.find((c) => c.check === 'state-dir')!.detail, /is not a directory/);
  });

  test('a bad flag is a problem of the configuration (exit 1), not a crash', async () => {
    const d = report(await runCli(['doctor', '--json', '--port', 'abc']), 1);
    assert.deepEqual(failed(d), ['config']);
    assert.match(d.checks[1].detail, /--port/);
  });

  test('--model openai: the endpoint answers /models → ok; bad key → 401 problem; nothing listening → unreachable', async () => {
    const base = ['doctor', '--json', '--state-dir', tempDir(), '--port', '0', '--model', 'openai'];
    const good = report(await runCli([...base, '--openai-base-url', models.url], childEnv({ OPENAI_API_KEY: 'sk-good' })), 0);
    assert.match(good.checks.find((c) => c.check === 'model')!.detail, /\/v1\/models answered 200/);
    const bad = report(await runCli([...base, '--openai-base-url', models.url], childEnv({ OPENAI_API_KEY: 'sk-bad' })), 1);
    assert.deepEqual(failed(bad), ['model']);
    assert.match(bad.checks.find((c) => c.check === 'model')!.fix!, /OPENAI_API_KEY/);
    const closed = `http://127.0.0.1:${await freePort()}/v1`;
    const down = report(await runCli([...base, '--openai-base-url', closed], childEnv({ OPENAI_API_KEY: 'sk-good' })), 1);
    assert.match(down.checks.find((c) => c.check === 'model')!.detail, /not reachable \(ECONNREFUSED\)/);
  });
});
