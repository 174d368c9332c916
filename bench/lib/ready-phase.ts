// The ready phase of bench:http: spawn → /readyz 200 (both planes) of the built gateway, against `node -e 0`
// spawned the same way in the same run (bench/lib/start-time.ts; bench:coldstart has the full table).
import { loadAvg } from './report.js';
import { exitRun, gatewayStartRun, interleaved, READY_TARGET_MS, stats } from './start-time.js';
import { makeTempDir } from './temp-dirs.js';

export interface ReadyPhase {
  readyMedianMs: number;
  nodeMedianMs: number;
  met: boolean;
}

/** Runs the phase (`runs` timed runs each, after a warm-up) and prints its lines. */
export async function readyPhase(runs: number): Promise<ReadyPhase> {
  console.log(`\nready phase: spawn → /readyz 200 (both planes), ${runs} runs (+1 warm-up), load average ${loadAvg()}`);
  const root = makeTempDir('clawgate-bench-ready-');
  const times = await interleaved(runs, {
    node: () => exitRun(['-e', '0']),
    ready: (i: number) => gatewayStartRun(root, i, '/readyz'),
  }, () => {});
  const ready = stats(times.ready);
  const node = stats(times.node);
  const met = ready.median <= READY_TARGET_MS;
  console.log(`  ready median ${ready.median.toFixed(1)} ms (min ${ready.min.toFixed(1)}, p90 ${ready.p90.toFixed(1)}), target ≤ ${READY_TARGET_MS} ms: `
    + `${met ? 'MET' : 'NOT MET'}; node -e 0 median ${node.median.toFixed(1)} ms in the same run (load average ${loadAvg()})`);
  return { readyMedianMs: ready.median, nodeMedianMs: node.median, met };
}
