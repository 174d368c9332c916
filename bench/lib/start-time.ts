// How long the built gateway takes to start: spawn → first 200 on a path (/healthz: the HTTP plane listens;
// /readyz: both planes are up, the state dir and the channels too). Shared by bench:coldstart and the ready
// phase of bench:http. Each run spawns `node dist/src/cli/main.js gateway` on a free port with a fresh state
// dir, probes the path every ~2 ms over a fresh loopback connection (raw socket, short per-try timeout) until
// it answers 200, then kills the gateway. Baselines are timed spawn → exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, gatewayArgv } from './gateway-command.js';
import { freePort, HOST } from './local-server.js';
import { exited, track } from './processes.js';

export { CLI };

/** The target: spawn → /readyz 200 (both planes), median. */
export const READY_TARGET_MS = 300;
export const POLL_MS = 2;
export const TRY_TIMEOUT_MS = 50;
const START_TIMEOUT_MS = 10_000;
/** Upper bound of one run, for watchdog budgets. */
export const RUN_BUDGET_S = START_TIMEOUT_MS / 1000 + 1;

function spawnTracked(args: string[]): ChildProcess {
  return track(spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
}

/** One GET `path` on a fresh connection: true on a 200 status line, false on refusal, error or timeout. */
function probe(port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    let head = '';
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), TRY_TIMEOUT_MS);
    const socket = connect({ host: HOST, port }, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${HOST}:${port}\r\nConnection: close\r\n\r\n`);
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const eol = head.indexOf('\r\n');
      if (eol >= 0) finish(/^HTTP\/1\.[01] 200 /.test(head.slice(0, eol + 2)));
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}

/** Spawn the gateway (state dir under `root`) and time spawn → first 200 on `path`, in ms. */
export async function gatewayStartRun(root: string, i: number, path: '/healthz' | '/readyz'): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const stateDir = join(root, `run-${path.slice(1)}-${i}-${attempt}`);
    let stderr = '';
    const t0 = performance.now();
    const proc = spawnTracked(gatewayArgv([], ['--bind', HOST, '--port', String(port), '--state-dir', stateDir, '--log-level', 'warn']));
    proc.stderr!.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-2000);
    });
    try {
      while (performance.now() - t0 < START_TIMEOUT_MS) {
        if (proc.exitCode !== null || proc.signalCode !== null) break;
        if (await probe(port, path)) return performance.now() - t0;
        await sleep(POLL_MS);
      }
      await Promise.race([exited(proc), sleep(50)]);
      if (proc.exitCode === 78 && attempt < 3) continue; // the free port was taken in between
      throw new Error(proc.exitCode !== null || proc.signalCode !== null
        ? `gateway exited (code ${proc.exitCode}, signal ${proc.signalCode}) before answering: ${stderr.trim()}`
        : `gateway did not answer ${path} within ${START_TIMEOUT_MS} ms: ${stderr.trim()}`);
    } finally {
      proc.kill('SIGKILL');
      await exited(proc);
    }
  }
}

/** Spawn → exit of a short command (`node <args>`), in ms. */
export async function exitRun(args: string[]): Promise<number> {
  const t0 = performance.now();
  const proc = spawnTracked(args);
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const timer = setTimeout(() => proc.kill('SIGKILL'), START_TIMEOUT_MS);
  await exited(proc);
  const ms = performance.now() - t0;
  clearTimeout(timer);
  if (proc.exitCode !== 0) throw new Error(`node ${args.join(' ')} exited ${proc.exitCode ?? proc.signalCode}: ${stderr.trim()}`);
  return ms;
}

export interface Stats {
  min: number;
  median: number;
  p90: number;
  max: number;
  mean: number;
}

export function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const rank = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  const median = s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { min: s[0], median, p90: rank(90), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length };
}

/** Timed runs of each kind, interleaved run by run after one untimed warm-up run of each (disk cache). */
export async function interleaved<K extends string>(runs: number, kinds: Record<K, (i: number) => Promise<number>>,
  onRun: (i: number, line: string) => void): Promise<Record<K, number[]>> {
  const keys = Object.keys(kinds) as K[];
  const times = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i <= runs; i++) {
    const line: string[] = [];
    for (const key of keys) {
      const ms = await kinds[key](i);
      if (i > 0) times[key].push(ms);
      line.push(`${key} ${ms.toFixed(1)} ms`);
      await sleep(20);
    }
    onRun(i, line.join(', '));
  }
  return times;
}
