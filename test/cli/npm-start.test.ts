import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { assertBuilt, childEnv, freePort, killAll, ROOT, tempDir } from '../helpers/cli.js';
import { GUARD_MS } from '../helpers/ws-client.js';
import { FuzzSocket } from '../helpers/fuzz-socket.js';
import { until } from '../helpers/wait.js';

// Issue 8 acceptance 8 — `npm start` prints one banner line with the URLs once BOTH planes are ready, and
// exits 0 after Ctrl-C. No wall-clock threshold: ordering is asserted. The banner is printed only when
// /readyz answers 200 and a WS upgrade succeeds; and once /readyz answers 200 the banner has been printed (a
// bounded wait for the line, no timing). Ctrl-C is a SIGINT to the whole process group (npm, node, gateway),
// as a terminal sends it. Build first (npm run build), so npm start does not compile.

const SLOW_MS = GUARD_MS * 3;
let stateDir = '';

before(() => {
  assertBuilt();
  stateDir = tempDir('clawgate-npm-start-');
});

const children: number[] = [];
after(async () => {
  for (const pid of children) {
    try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  await killAll(); // the temp dirs
});

/** The Node flags (argv before the CLI path) of the gateway process using `dir`, read from /proc. */
function gatewayNodeFlags(dir: string): string[] | undefined {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone, or not ours to read
    }
    const cli = argv.findIndex((a) => a.endsWith('cli/main.js'));
    if (cli > 0 && argv.includes(dir) && argv[cli + 1] === 'gateway') return argv.slice(1, cli);
  }
  return undefined;
}

interface Banner { msg: string; url: string; wsUrl: string; stateDir: string; model: string; port: number }

function bannerIn(stdout: string): Banner | undefined {
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue; // npm's own "> clawgate start" lines
    const rec = JSON.parse(line) as Banner;
    if (rec.msg === 'gateway ready') return rec;
  }
  return undefined;
}

test('npm start: the banner names the URLs once both planes are ready; Ctrl-C exits 0', async () => {
  const port = await freePort();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const child = spawn(npm, ['start', '--', '--port', String(port), '--state-dir', stateDir], {
    cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
  children.push(child.pid!);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;

  // the moment the banner appears, both planes answer
  let readyWhenBanner: number | undefined;
  await until(async () => {
    const printed = bannerIn(stdout) !== undefined;
    const res = await fetch(`${base}/readyz`).catch(() => undefined);
    if (printed) {
      readyWhenBanner = res?.status;
      return true;
    }
    if (res?.status === 200) {
      // ready: the banner must follow (it is printed in the same turn the WS plane becomes ready)
      await until(() => bannerIn(stdout) !== undefined, 'the banner after /readyz answered 200', SLOW_MS, 5);
      readyWhenBanner = 200;
      return true;
    }
    assert.equal(child.exitCode, null, `npm start exited early\n${stdout}\n${stderr}`);
    return false;
  }, 'the banner', SLOW_MS, 10);
  assert.equal(readyWhenBanner, 200, '/readyz answers 200 once the banner is printed');
  const ws = await FuzzSocket.open(port, 'upgrade once the banner is printed');
  await ws.end();

  const banner = bannerIn(stdout)!;
  assert.equal(banner.url, `http://127.0.0.1:${port}/`);
  assert.equal(banner.wsUrl, `ws://127.0.0.1:${port}/`);
  assert.equal(banner.stateDir, stateDir);
  assert.equal(banner.model, 'mock');
  assert.equal(stdout.split('\n').filter((l) => l.includes('"msg":"gateway ready"')).length, 1, 'one banner line');
  if (process.platform === 'linux') {
    // the gateway process runs with its Node flags (src/cli/node-flags.ts)
    assert.deepEqual(gatewayNodeFlags(stateDir), ['--max-semi-space-size=8', '--gc-memory-reducer-start-delay-ms=1000', '--expose-gc']);
  }
  assert.ok(!stdout.includes('"missing":['), 'with its flags, the gateway does not say any is missing');

  process.kill(-child.pid!, 'SIGINT'); // Ctrl-C: the whole foreground process group
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([exited, new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), SLOW_MS); })]);
  clearTimeout(timer);
  assert.equal(code, 0, `npm start exit code after Ctrl-C\n${stdout}\n${stderr}`);
});
