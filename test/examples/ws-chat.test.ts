import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startTestGateway } from '../helpers/gateway.js';
import { childEnv, ROOT } from '../helpers/cli.js';

// The README's WebSocket example (examples/ws-chat.mjs) run as it is, on this Node (20 in CI), against a real
// gateway: it imports `clawgate/client` (dist/, built by `npm run build`), waits for hello-ok, sends chat.send
// and prints the streamed reply until `final`, then exits 0.

const EXAMPLE = join(ROOT, 'examples', 'ws-chat.mjs');
const TOKEN = 'example-test-token-0123456789abcdefghijklmn';
const GUARD_MS = 15_000;

const children = new Set<ReturnType<typeof spawn>>();
after(() => { for (const c of children) c.kill('SIGKILL'); });

/** Runs the example to its exit (killed after GUARD_MS) and returns its exit code and output. */
async function runExample(env: NodeJS.ProcessEnv, message: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  assert.ok(existsSync(join(ROOT, 'dist', 'src', 'client', 'index.js')), 'dist/src/client is missing: run `npm run build` first');
  const child = spawn(process.execPath, [EXAMPLE, message], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), GUARD_MS);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  children.delete(child);
  return { code, stdout, stderr };
}

for (const withToken of [false, true]) {
  test(`examples/ws-chat.mjs streams a reply and exits 0 (${withToken ? 'with' : 'without'} a token)`, async (t) => {
    // the mock streams word by word, so the example sees deltas before the final
    const gw = await startTestGateway({ mockDelayMs: 5, ...(withToken ? { token: TOKEN } : {}) });
    t.after(() => gw.close());
    const env = childEnv({
      CLAWGATE_URL: `ws://127.0.0.1:${gw.port}`, CLAWGATE_SESSION: 'agent:main:example',
      ...(withToken ? { OPENCLAW_GATEWAY_TOKEN: TOKEN } : {}),
    });
    const r = await runExample(env, 'Hello from the example test');
    assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^final: Echo: Hello from the example test$/m);
    // the streamed deltas, printed before the final line, add up to the whole reply
    assert.equal(r.stdout.slice(0, r.stdout.indexOf('\nfinal: ')), 'Echo: Hello from the example test');
  });
}

test('examples/ws-chat.mjs exits 1 with one line on stderr when the gateway refuses it', async (t) => {
  const gw = await startTestGateway({ token: TOKEN });
  t.after(() => gw.close());
  const r = await runExample(childEnv({ CLAWGATE_URL: `ws://127.0.0.1:${gw.port}`, OPENCLAW_GATEWAY_TOKEN: `${TOKEN}x` }), 'hi');
  assert.equal(r.code, 1, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.match(r.stderr, /^ws-chat: gateway refused the connection: [^\n]+\n$/);
  assert.equal(r.stdout, '');
});
