import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { assertBuilt, childEnv, CliProcess, failsWith, freePort, killAll, runCli, tempDir, type Exited } from '../helpers/cli.js';

// `clawgate gateway` as a subprocess (dist/src/cli/main.js, built by `npm run build`): exit codes, messages on
// stderr, config files, the token from the environment, shutdown, and the JSON logs on stdout.

const P = '/v1/gateway';
const TOKEN = 'cli-test-token-9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const OTHER_TOKEN = 'cli-test-other-token-0a1b2c3d4e5f60718293a4b5c6d7e8f9';

let dir: string;
const started: CliProcess[] = [];

before(() => {
  assertBuilt();
  dir = tempDir();
});

after(async () => {
  await killAll();
});

/** Common flags: a state dir of its own (one gateway per state dir: a second one exits 78), unless overridden. */
const base = (...extra: string[]) => ['gateway', '--state-dir', tempDir(), ...extra];

function start(args: string[], env?: NodeJS.ProcessEnv): CliProcess {
  const p = new CliProcess(args, env);
  started.push(p);
  return p;
}


/** A usage error: exit 2, exactly one line on stderr prefixed `clawgate: `, nothing on stdout, no stack. */
const usageError = (r: Exited, pattern?: RegExp): void => failsWith(r, 2, pattern);

/** The SSE events of a whole response (kept local: this file tests the built CLI and imports nothing from src). */
async function sseEvents(res: Response): Promise<{ event: string; data: any }[]> {
  const events: { event: string; data: any }[] = [];
  for (const block of (await res.text()).split('\n\n')) {
    const event = /^event: (.*)$/m.exec(block)?.[1];
    const data = /^data: (.*)$/m.exec(block)?.[1];
    if (event && data) events.push({ event, data: JSON.parse(data) });
  }
  return events;
}

async function deltas(port: number, text: string, from = 'alice'): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${port}${P}/messages:stream`, { method: 'POST', body: JSON.stringify({ from, text }) });
  assert.equal(res.status, 200);
  const events = await sseEvents(res);
  assert.equal(events.at(-1)?.event, 'run.completed');
  return events.filter((e) => e.event === 'message.delta').map((e) => e.data.delta);
}

async function post(port: number, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${port}${P}/messages`, { method: 'POST', body: JSON.stringify(body), headers });
  return { status: res.status, json: await res.json() as any };
}

async function stop(p: CliProcess): Promise<Exited> {
  p.kill('SIGTERM');
  return p.exit();
}

describe('clawgate gateway: refusals', () => {
  test('a bad flag → one-line error on stderr, exit 2', async () => {
    usageError(await runCli(base('--nope')), /nope/);
    usageError(await runCli(base('--port', 'abc')), /--port/);
    usageError(await runCli(base('--port', '70000')), /--port/);
    usageError(await runCli(base('--port', '-1')));
    usageError(await runCli(base('--mock-delay-ms', '1.5')), /--mock-delay-ms/);
    usageError(await runCli(base('--require-mention=yes')));
    usageError(await runCli(base('stray-positional')));
    usageError(await runCli(base('--log-level', 'loud')), /--log-level/);
    usageError(await runCli(['nope']), /unknown command/);
  });

  test('--model openai against api.openai.com without OPENAI_API_KEY → clear refusal, exit 2', async () => {
    const env = childEnv();
    delete env.OPENAI_API_KEY;
    usageError(await runCli(base('--model', 'openai'), env), /OPENAI_API_KEY/);
    usageError(await runCli(base('--model', 'openai', '--openai-base-url', 'ftp://x'), env), /--openai-base-url/);
    usageError(await runCli(base('--model', 'openai', '--openai-base-url', 'http://127.0.0.1:1/v1', '--tools', 'rm.rf'), env), /unknown tool "rm.rf"/);
  });

  test('--model nope → exit 2', async () => {
    usageError(await runCli(base('--model', 'nope')), /"nope"/);
  });

  test('--bind 0.0.0.0 without a token → exit 2', async () => {
    usageError(await runCli(base('--bind', '0.0.0.0', '--port', '0')), /token/);
    usageError(await runCli(base('--bind', '::', '--port', '0')), /token/);
  });

  test('a short or placeholder --token → exit 2 (flag and environment)', async () => {
    usageError(await runCli(base('--token', 'short')), /--token/);
    usageError(await runCli(base('--token', 'x'.repeat(31))), /32/);
    usageError(await runCli(base('--token', 'changeme')), /--token/);
    usageError(await runCli(base('--token', '   ')), /--token/);
    usageError(await runCli(base('--port', '0'), childEnv({ OPENCLAW_GATEWAY_TOKEN: 'short' })), /token/);
    // and the rejected secret is not echoed back
    const r = await runCli(base('--token', 'hunter2-secret'));
    assert.ok(!r.stderr.includes('hunter2-secret'), 'the token is not printed');
  });

  test('an unknown key in the config file → exit 2', async () => {
    const json = join(dir, 'unknown.json');
    writeFileSync(json, JSON.stringify({ port: 0, portt: 1 }));
    usageError(await runCli(base('--config', json)), /portt/);
    const yaml = join(dir, 'unknown.yaml');
    writeFileSync(yaml, 'port: 0\nmockDelay: 5\n');
    usageError(await runCli(base('--config', yaml)), /mockDelay/);
    // the config file is not a way around the flag list
    const cfgKey = join(dir, 'config-key.yaml');
    writeFileSync(cfgKey, `config: ${json}\n`);
    usageError(await runCli(base('--config', cfgKey)), /config/);
  });

  test('unreadable, malformed or mistyped config files → exit 2', async () => {
    usageError(await runCli(base('--config', join(dir, 'missing.yaml'))), /missing\.yaml/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'port: [1,\n');
    usageError(await runCli(base('--config', bad)), /bad\.yaml/);
    const list = join(dir, 'list.yaml');
    writeFileSync(list, '- port\n- 1\n');
    usageError(await runCli(base('--config', list)));
    const typed = join(dir, 'typed.json');
    writeFileSync(typed, JSON.stringify({ port: 'eighty' }));
    usageError(await runCli(base('--config', typed)), /port/);
    const neg = join(dir, 'neg.json');
    writeFileSync(neg, JSON.stringify({ mockDelayMs: -5 }));
    usageError(await runCli(base('--config', neg)), /mock-delay-ms/);
  });

  test('a port already in use → exit 78', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const r = await runCli(base('--port', String(port)));
      assert.equal(r.code, 78, `stderr ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`${port}`));
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  test('a port already taken by another clawgate → exit 78 (no silent port sharing)', async () => {
    const port = await freePort();
    const first = start(base('--port', String(port)));
    assert.equal(await first.ready(), port);
    const second = start(base('--port', String(port)));
    const outcome = await Promise.race([
      second.exit(10_000).then((r) => ({ exited: r })),
      // ready() rejects when the process exits first: that is the outcome we want, so let exit() win
      second.ready(10_000).then((p) => ({ ready: p }), () => new Promise<never>(() => {})),
    ]);
    second.kill('SIGKILL');
    assert.ok('exited' in outcome, `a second gateway started on port ${port} next to the first one`);
    assert.equal(outcome.exited.code, 78, `stderr ${outcome.exited.stderr}`);
    assert.equal((await stop(first)).code, 0);
  });
});

describe('clawgate gateway: running', () => {
  test('--config JSON sets port and mock delay', async () => {
    const port = await freePort();
    const cfg = join(dir, 'gw.json');
    writeFileSync(cfg, JSON.stringify({ port, mockDelayMs: 1, allowUsers: ['alice'] }));
    const p = start(base('--config', cfg));
    assert.equal(await p.ready(), port);
    assert.deepEqual(await deltas(port, 'a b c'), ['Echo: ', 'a ', 'b ', 'c']);
    assert.equal((await post(port, { from: 'bob', text: 'x' })).status, 403);
    assert.equal((await stop(p)).code, 0);
  });

  test('--config YAML sets port and mock delay (kebab-case keys)', async () => {
    const port = await freePort();
    const cfg = join(dir, 'gw.yaml');
    writeFileSync(cfg, `# a comment\nport: ${port}\nmock-delay-ms: 1\nmodel-catalog:\n  - m1\n`);
    const p = start(base('--config', cfg));
    assert.equal(await p.ready(), port);
    assert.deepEqual(await deltas(port, 'a b c'), ['Echo: ', 'a ', 'b ', 'c']);
    const bad = await post(port, { from: 'alice', text: 'x', model: 'm2' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.type, 'invalid_model');
    assert.equal((await stop(p)).code, 0);
  });

  test('flags win over the config file', async () => {
    const [filePort, flagPort] = [await freePort(), await freePort()];
    const cfg = join(dir, 'wins.yaml');
    writeFileSync(cfg, `port: ${filePort}\nmockDelayMs: 1\nallowUsers: [u1]\n`);
    const p = start(base('--config', cfg, '--port', String(flagPort), '--mock-delay-ms', '0', '--allow-users', 'u2'));
    assert.equal(await p.ready(), flagPort);
    assert.deepEqual(await deltas(flagPort, 'a b c', 'u2'), ['Echo: a b c'], 'no delay: one delta');
    assert.equal((await post(flagPort, { from: 'u1', text: 'x' })).status, 403);
    assert.equal((await post(flagPort, { from: 'u2', text: 'x' })).status, 200);
    // flags before --config win too
    const q = start(['gateway', '--port', '0', '--state-dir', tempDir(), '--config', cfg]);
    const port2 = await q.ready();
    assert.notEqual(port2, filePort);
    assert.equal((await stop(p)).code, 0);
    assert.equal((await stop(q)).code, 0);
  });

  test('OPENCLAW_GATEWAY_TOKEN: data plane needs Bearer (401 without), /healthz stays open', async () => {
    const p = start(base('--port', '0'), childEnv({ OPENCLAW_GATEWAY_TOKEN: TOKEN }));
    const port = await p.ready();
    const body = { from: 'alice', text: 'Hi' };
    const none = await post(port, body);
    assert.equal(none.status, 401);
    assert.equal(none.json.error.type, 'unauthorized');
    assert.equal((await post(port, body, { Authorization: `Bearer ${OTHER_TOKEN}` })).status, 401);
    assert.equal((await post(port, body, { Authorization: TOKEN })).status, 401, 'the scheme is required');
    assert.equal((await fetch(`http://127.0.0.1:${port}${P}/status?request_id=x`)).status, 401);
    assert.equal((await fetch(`http://127.0.0.1:${port}${P}/cancel`, { method: 'POST', body: '{}' })).status, 401);
    assert.equal((await fetch(`http://127.0.0.1:${port}${P}/messages:stream`, { method: 'POST', body: JSON.stringify(body) })).status, 401);
    const ok = await post(port, body, { Authorization: `Bearer ${TOKEN}` });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.reply, 'Echo: Hi');
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = p.logLines().find((l) => l.msg === 'gateway ready');
    assert.equal(ready?.authMode, 'token');
    const out = await stop(p);
    assert.equal(out.code, 0);
    assert.ok(!out.stdout.includes(TOKEN) && !out.stderr.includes(TOKEN), 'the token never reaches the output');
  });

  test('a token with surrounding whitespace (e.g. a newline from an env file) is trimmed, not a lockout', async () => {
    const p = start(base('--port', '0'), childEnv({ OPENCLAW_GATEWAY_TOKEN: `  ${TOKEN}\n` }));
    const port = await p.ready();
    assert.equal((await post(port, { from: 'alice', text: 'Hi' }, { Authorization: `Bearer ${TOKEN}` })).status, 200);
    assert.equal((await post(port, { from: 'alice', text: 'Hi' })).status, 401);
    assert.equal((await stop(p)).code, 0);
    // and the length rule applies to the trimmed value
    usageError(await runCli(base('--token', ` ${'x'.repeat(30)} `)), /32/);
  });

  test('--bind accepts a bracketed IPv6 loopback ([::1])', async (t) => {
    const v6 = await new Promise<boolean>((resolve) => {
      const srv = createServer().once('error', () => resolve(false));
      srv.listen(0, '::1', () => srv.close(() => resolve(true)));
    });
    if (!v6) return t.skip('no IPv6 loopback here');
    const p = start(base('--port', '0', '--bind', '[::1]'));
    const port = await p.ready();
    const res = await fetch(`http://[::1]:${port}/healthz`);
    assert.equal(res.status, 200);
    assert.equal((await stop(p)).code, 0);
  });

  test('--token wins over OPENCLAW_GATEWAY_TOKEN', async () => {
    const p = start(base('--port', '0', '--token', OTHER_TOKEN), childEnv({ OPENCLAW_GATEWAY_TOKEN: TOKEN }));
    const port = await p.ready();
    assert.equal((await post(port, { from: 'alice', text: 'Hi' }, { Authorization: `Bearer ${TOKEN}` })).status, 401);
    assert.equal((await post(port, { from: 'alice', text: 'Hi' }, { Authorization: `Bearer ${OTHER_TOKEN}` })).status, 200);
    const out = await stop(p);
    assert.equal(out.code, 0);
    for (const t of [TOKEN, OTHER_TOKEN]) assert.ok(!out.stdout.includes(t) && !out.stderr.includes(t), 'no token in the output');
  });

  test('SIGTERM → exit 0 (also SIGINT); the port can be taken again at once', async () => {
    const port = await freePort();
    const p = start(base('--port', String(port)));
    assert.equal(await p.ready(), port);
    assert.equal((await post(port, { from: 'alice', text: 'Hi' })).status, 200);
    const out = await stop(p);
    assert.equal(out.code, 0);
    assert.equal(out.signal, null);
    const q = start(base('--port', '0'));
    await q.ready();
    q.kill('SIGINT');
    assert.equal((await q.exit()).code, 0);
    // the port is released, even with connections in TIME_WAIT: a restart can take it
    const r = start(base('--port', String(port)));
    assert.equal(await r.ready(), port);
    assert.equal((await stop(r)).code, 0);
  });

  test('SIGTERM or SIGINT right after "gateway ready" → graceful stop, exit 0', async () => {
    // a supervisor may stop the gateway the moment it reports ready: the handlers must already be in place
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGTERM', 'SIGINT'] as const) {
      const p = start(base('--port', '0'));
      await p.ready();
      p.kill(signal);
      const out = await p.exit();
      assert.deepEqual({ code: out.code, signal: out.signal }, { code: 0, signal: null }, `${signal} right after ready`);
      assert.ok(out.stdout.includes('"msg":"gateway stopping"'), 'it logged the stop');
    }
  });

  test('SIGTERM during a running /messages call: the client gets an answer, exit 0', async () => {
    const p = start(base('--port', '0', '--mock-delay-ms', '5000', '--shutdown-grace-ms', '0'));
    const port = await p.ready();
    const pending = post(port, { from: 'alice', text: 'a b c', request_id: 'sigterm-1' });
    // wait until it runs
    for (let i = 0; i < 200; i++) {
      const st = await fetch(`http://127.0.0.1:${port}${P}/status?request_id=sigterm-1`);
      if (st.status === 200 && (await st.json() as { state: string }).state === 'running') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    p.kill('SIGTERM');
    const answer = await pending;
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json, { session_id: 'http:dm:alice', request_id: 'sigterm-1', reply: '', canceled: true });
    assert.equal((await p.exit()).code, 0);
  });

  test('stdout carries JSON log lines (pino), never the token', async () => {
    const p = start(base('--port', '0', '--token', TOKEN, '--log-level', 'debug'));
    const port = await p.ready();
    await post(port, { from: 'alice', text: `my token is not ${TOKEN.slice(0, 8)}` }, { Authorization: `Bearer ${TOKEN}` });
    await post(port, { from: 'alice', text: 'Hi' }, { Authorization: `Bearer ${TOKEN}` });
    await post(port, { from: 'alice', text: 'Hi' }, { Authorization: `Bearer ${TOKEN}-wrong` });
    const out = await stop(p);
    assert.equal(out.code, 0);
    const lines = out.stdout.split('\n').filter((l) => l !== '');
    assert.ok(lines.length >= 2, 'ready and stopping lines at least');
    for (const line of lines) {
      const rec = JSON.parse(line) as Record<string, unknown>; // throws on a non-JSON line
      assert.equal(typeof rec.level, 'number', `pino level in ${line}`);
      assert.equal(typeof rec.time, 'number', `pino time in ${line}`);
      assert.equal(typeof rec.msg, 'string', `msg in ${line}`);
    }
    const ready = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'gateway ready');
    assert.equal(ready.port, port);
    assert.equal(ready.bind, '127.0.0.1');
    assert.ok(lines.some((l) => JSON.parse(l).msg === 'gateway stopping'));
    // started as the bin is, without the gateway's node flags (src/cli/node-flags.ts): it says so, once
    const flags = lines.map((l) => JSON.parse(l)).filter((l) => Array.isArray(l.missing));
    assert.deepEqual(flags.map((l) => l.missing), [['--max-semi-space-size=8', '--gc-memory-reducer-start-delay-ms=1000', '--expose-gc']]);
    assert.ok(!out.stdout.includes(TOKEN), 'stdout never carries the token');
    assert.ok(!out.stderr.includes(TOKEN), 'stderr never carries the token');
    // across every process started in this file
    for (const q of started) {
      for (const t of [TOKEN, OTHER_TOKEN]) assert.ok(!q.stdout.includes(t) && !q.stderr.includes(t));
    }
  });

  test('--help prints usage and exits 0', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /usage: clawgate gateway/);
    const g = await runCli(['gateway', '--help']);
    assert.equal(g.code, 0, `gateway --help: ${g.stderr}`);
    assert.match(g.stdout, /usage: clawgate gateway/);
    assert.equal(g.stderr, '');
  });
});
