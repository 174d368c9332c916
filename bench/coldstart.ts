// `npm run bench:coldstart`: how long the built gateway takes from spawn to its first 200 on /healthz.
//
// Each run spawns `node dist/src/cli/main.js gateway --port <free> --state-dir <fresh tmp> --log-level warn`,
// probes GET /healthz every ~2 ms over a fresh loopback connection (raw socket, short per-try timeout) until
// one answers 200, then kills the gateway. Baselines, spawned the same way and timed spawn → exit:
// `node -e 0` (Node itself) and `node dist/src/cli/main.js --version` (the CLI entry without the gateway).
// The three are interleaved run by run, after one untimed warm-up run of each (disk cache).
//
//   --runs N      timed runs of each (default 15)
//   --json FILE   also write the results as JSON
//   --strict      exit 1 when the target (gateway median < 300 ms) is not met
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runBench, startWatchdog } from './lib/lifecycle.js';
import { freePort, HOST } from './lib/local-server.js';
import { exited, killAllNow, track } from './lib/processes.js';
import { loadAvg, treeLabel } from './lib/report.js';
import { makeTempDir, removeTempDirs } from './lib/temp-dirs.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli/main.js');

const TARGET_MEDIAN_MS = 300;
const POLL_MS = 2;
const TRY_TIMEOUT_MS = 50;
const START_TIMEOUT_MS = 10_000;

function spawnTracked(args: string[]): ChildProcess {
  return track(spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
}

/** One GET /healthz on a fresh connection: true on a 200 status line, false on refusal, error or timeout. */
function probe(port: number): Promise<boolean> {
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
      socket.write(`GET /healthz HTTP/1.1\r\nHost: ${HOST}:${port}\r\nConnection: close\r\n\r\n`);
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

/** Spawn the gateway and time spawn → first 200 on /healthz, in ms. */
async function gatewayRun(root: string, i: number): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const stateDir = join(root, `run-${i}-${attempt}`);
    let stderr = '';
    const t0 = performance.now();
    const proc = spawnTracked([CLI, 'gateway', '--bind', HOST, '--port', String(port), '--state-dir', stateDir, '--log-level', 'warn']);
    proc.stderr!.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-2000);
    });
    try {
      while (performance.now() - t0 < START_TIMEOUT_MS) {
        if (proc.exitCode !== null || proc.signalCode !== null) break;
        if (await probe(port)) return performance.now() - t0;
        await sleep(POLL_MS);
      }
      await Promise.race([exited(proc), sleep(50)]);
      if (proc.exitCode === 78 && attempt < 3) continue; // the free port was taken in between
      throw new Error(proc.exitCode !== null || proc.signalCode !== null
        ? `gateway exited (code ${proc.exitCode}, signal ${proc.signalCode}) before answering: ${stderr.trim()}`
        : `gateway did not answer /healthz within ${START_TIMEOUT_MS} ms: ${stderr.trim()}`);
    } finally {
      proc.kill('SIGKILL');
      await exited(proc);
    }
  }
}

/** Spawn → exit of a short command, in ms. */
async function exitRun(args: string[]): Promise<number> {
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

interface Stats {
  min: number;
  median: number;
  p90: number;
  max: number;
  mean: number;
}

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const rank = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  const median = s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { min: s[0], median, p90: rank(90), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '15' },
      json: { type: 'string' },
      strict: { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 200) throw new Error('--runs must be an integer in [1, 200]');
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run bench:coldstart does)`);
  const budgetS = 30 + runs * 3 * (START_TIMEOUT_MS / 1000 + 1);
  startWatchdog('bench:coldstart', budgetS);

  const tree = treeLabel();
  const loadStart = loadAvg();
  console.log(`bench:coldstart  ${tree}, node ${process.version}, ${runs} runs each (+1 warm-up), probe every ${POLL_MS} ms, `
    + `${TRY_TIMEOUT_MS} ms per try, load average ${loadStart}`);
  const root = makeTempDir('clawgate-bench-coldstart-');
  const kinds = {
    node: { label: 'node -e 0 (spawn → exit)', run: () => exitRun(['-e', '0']) },
    version: { label: 'cli --version (spawn → exit)', run: () => exitRun([CLI, '--version']) },
    gateway: { label: 'gateway (spawn → first 200 /healthz)', run: (i: number) => gatewayRun(root, i) },
  } as const;
  const times: Record<keyof typeof kinds, number[]> = { node: [], version: [], gateway: [] };
  try {
    for (let i = 0; i <= runs; i++) {
      const line: string[] = [];
      for (const key of Object.keys(kinds) as (keyof typeof kinds)[]) {
        const ms = await kinds[key].run(i);
        if (i > 0) times[key].push(ms);
        line.push(`${key} ${ms.toFixed(1)} ms`);
        await sleep(20);
      }
      console.log(`  ${i === 0 ? 'warm-up' : `run ${String(i).padStart(2)}`}: ${line.join(', ')}`);
    }
  } finally {
    killAllNow();
    removeTempDirs();
  }

  const fmt = (x: number) => `${x.toFixed(1)}`.padStart(7);
  console.log(`\n${'ms'.padEnd(38)} ${'min'.padStart(7)} ${'median'.padStart(7)} ${'p90'.padStart(7)} ${'max'.padStart(7)} ${'mean'.padStart(7)}`);
  const all = {} as Record<keyof typeof kinds, Stats>;
  for (const key of Object.keys(kinds) as (keyof typeof kinds)[]) {
    const s = (all[key] = stats(times[key]));
    console.log(`${kinds[key].label.padEnd(38)} ${fmt(s.min)} ${fmt(s.median)} ${fmt(s.p90)} ${fmt(s.max)} ${fmt(s.mean)}`);
  }
  const g = all.gateway;
  const met = g.median < TARGET_MEDIAN_MS;
  console.log(`\ngateway median ${g.median.toFixed(1)} ms, target < ${TARGET_MEDIAN_MS} ms: ${met ? 'MET' : 'NOT MET'}`
    + ` (${(g.median - all.node.median).toFixed(1)} ms above the bare Node start, ${(g.median - all.version.median).toFixed(1)} ms above the CLI entry)`);
  const loadEnd = loadAvg();
  console.log(`load average ${loadStart} at the start, ${loadEnd} at the end (2 cores; well above 1, other work may have inflated the times: the node -e 0 row shows by how much)`);
  if (values.json) {
    writeFileSync(values.json, `${JSON.stringify({ tree, node: process.version, runs, times, stats: all, targetMedianMs: TARGET_MEDIAN_MS, met, loadStart, loadEnd }, null, 2)}\n`);
  }
  return values.strict && !met ? 1 : 0;
}

runBench('bench:coldstart', 'stopping', main);
