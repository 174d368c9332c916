// `npm run bench:coldstart`: how long the built gateway takes from spawn to its first 200 on /healthz (the HTTP
// plane listens) and on /readyz (both planes are ready: the issue's target, ≤ 300 ms median).
//
// Each run spawns `node dist/src/cli/main.js gateway --port <free> --state-dir <fresh tmp> --log-level warn`,
// probes the path every ~2 ms until it answers 200, then kills the gateway (bench/lib/start-time.ts).
// Baselines, spawned the same way and timed spawn → exit: `node -e 0` (Node itself) and
// `node dist/src/cli/main.js --version` (the CLI entry without the gateway). The kinds are interleaved run by
// run, after one untimed warm-up run of each (disk cache).
//
//   --runs N      timed runs of each (default 15)
//   --json FILE   also write the results as JSON
//   --strict      exit 1 when the target (ready median ≤ 300 ms) is not met
import { existsSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runBench, startWatchdog } from './lib/lifecycle.js';
import { killAllNow } from './lib/processes.js';
import { loadAvg, treeLabel } from './lib/report.js';
import {
  CLI, exitRun, gatewayStartRun, interleaved, POLL_MS, READY_TARGET_MS, RUN_BUDGET_S, stats, TRY_TIMEOUT_MS, type Stats,
} from './lib/start-time.js';
import { makeTempDir, removeTempDirs } from './lib/temp-dirs.js';

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
  startWatchdog('bench:coldstart', 30 + (runs + 1) * 4 * RUN_BUDGET_S);

  const tree = treeLabel();
  const loadStart = loadAvg();
  console.log(`bench:coldstart  ${tree}, node ${process.version}, ${runs} runs each (+1 warm-up), probe every ${POLL_MS} ms, `
    + `${TRY_TIMEOUT_MS} ms per try, load average ${loadStart}`);
  const root = makeTempDir('clawgate-bench-coldstart-');
  const labels = {
    node: 'node -e 0 (spawn → exit)',
    version: 'cli --version (spawn → exit)',
    gateway: 'gateway (spawn → first 200 /healthz)',
    ready: 'gateway (spawn → first 200 /readyz)',
  } as const;
  let times: Record<keyof typeof labels, number[]>;
  try {
    times = await interleaved(runs, {
      node: () => exitRun(['-e', '0']),
      version: () => exitRun([CLI, '--version']),
      gateway: (i: number) => gatewayStartRun(root, i, '/healthz'),
      ready: (i: number) => gatewayStartRun(root, i, '/readyz'),
    }, (i, line) => console.log(`  ${i === 0 ? 'warm-up' : `run ${String(i).padStart(2)}`}: ${line}`));
  } finally {
    killAllNow();
    removeTempDirs();
  }

  const fmt = (x: number) => `${x.toFixed(1)}`.padStart(7);
  console.log(`\n${'ms'.padEnd(38)} ${'min'.padStart(7)} ${'median'.padStart(7)} ${'p90'.padStart(7)} ${'max'.padStart(7)} ${'mean'.padStart(7)}`);
  const all = {} as Record<keyof typeof labels, Stats>;
  for (const key of Object.keys(labels) as (keyof typeof labels)[]) {
    const s = (all[key] = stats(times[key]));
    console.log(`${labels[key].padEnd(38)} ${fmt(s.min)} ${fmt(s.median)} ${fmt(s.p90)} ${fmt(s.max)} ${fmt(s.mean)}`);
  }
  const r = all.ready;
  const met = r.median <= READY_TARGET_MS;
  console.log(`\nready (both planes) median ${r.median.toFixed(1)} ms, target ≤ ${READY_TARGET_MS} ms: ${met ? 'MET' : 'NOT MET'}`
    + ` (${(r.median - all.node.median).toFixed(1)} ms above the bare Node start, ${(r.median - all.version.median).toFixed(1)} ms above the CLI entry;`
    + ` HTTP plane alone ${all.gateway.median.toFixed(1)} ms)`);
  const loadEnd = loadAvg();
  console.log(`load average ${loadStart} at the start, ${loadEnd} at the end (2 cores; well above 1, other work may have inflated the times: the node -e 0 row shows by how much)`);
  if (values.json) {
    writeFileSync(values.json, `${JSON.stringify({ tree, node: process.version, runs, times, stats: all, targetMedianMs: READY_TARGET_MS, met, loadStart, loadEnd }, null, 2)}\n`);
  }
  return values.strict && !met ? 1 : 0;
}

runBench('bench:coldstart', 'stopping', main);
