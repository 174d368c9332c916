// `npm run bench:storm`: a reconnect storm against the built gateway. Every connection does the whole client
// path (open → connect.challenge → connect → hello-ok) and closes again; the gateway's memory must come back.
//
//   1. warm-up: --warmup connections (default 2000) connect and close, so code loaded or compiled lazily, V8's heap
//      and the allocator's pools reach their working size before the baseline (after 200, V8's heap total and
//      the RSS were still growing; after 2000 they had settled); then --settle-ms of quiet, a full GC: the baseline
//   2. storm: --n connections (default 10 000), --concurrency at a time (default 16, below the gateway's 32
//      unauthenticated sockets per address), spread over --addresses source addresses 127.0.0.2 … ; each
//      closes right after its hello-ok
//   3. --settle-ms of quiet (default 15 000), a full GC, the same readings
// Printed: handshakes/s, failures by kind, the gateway's RSS, live heap and external memory before and after,
// and the verdict: RSS after within 10 % of the baseline (the issue's acceptance), live heap likewise.
//
//   --n N  --warmup N  --concurrency C  --addresses A  --settle-ms MS  --json FILE  --strict (exit 1 when NOT MET)
//
// The settle decides the verdict (default 15 s). The gateway gives a burst's memory back itself, once its event
// loop has been quiet for 6 s (src/core/heap-settle.ts, on with --expose-gc, which the gateway's node flags
// include): a reading sooner than that comes before it, and before V8's own memory reducer, and read
// 1.085–1.15 at 3 s (2026-12-07, 3 runs, before the settle was built). Without it the memory stayed: at 30–40 s,
// 1.33–1.35 (4 runs), all of the growth in V8's 256 KiB heap pages (smaps: 37 → 127) and no GC at all in the
// 40 s after the storm, since the reducer runs again only after the old generation grew by 10 MB. With it:
// 1.008–1.024 at 15 s (4 runs), 1.036 at 30 s, 1.030 and 1.041 at 40 s (2026-12-08). The live heap is flat
// either way (0.98–1.04): no JS state leaks.
import { existsSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { CLI } from './lib/gateway-command.js';
import { runBench, startWatchdog } from './lib/lifecycle.js';
import { HOST } from './lib/local-server.js';
import { mib, type ProbeReading, startProbedGateway } from './lib/probed-gateway.js';
import { cpuUs } from './lib/proc-stats.js';
import { killAllNow } from './lib/processes.js';
import { fmtInt, loadAvg, treeLabel } from './lib/report.js';
import { makeTempDir, removeTempDirs } from './lib/temp-dirs.js';
import { closeSocket, handshake } from './lib/ws-handshake.js';

/** The issue's acceptance: RSS returns within 10 % of the baseline. */
const TOLERANCE = 0.1;

interface StormResult {
  ok: number;
  failed: Record<string, number>;
  seconds: number;
  serverCpuUsPerConnect: number;
}

/** `n` connect → hello-ok → close cycles, `concurrency` at a time, round-robin over the source addresses. */
async function storm(port: number, pid: number, n: number, concurrency: number, addresses: string[]): Promise<StormResult> {
  const url = `ws://${HOST}:${port}/`;
  const failed: Record<string, number> = {};
  let next = 0;
  let ok = 0;
  const cpu0 = cpuUs(pid);
  const t0 = performance.now();
  const lane = async () => {
    while (next < n) {
      const i = next++;
      try {
        const ws = await handshake(url, { timeoutMs: 20_000, localAddress: addresses[i % addresses.length] });
        ok++;
        await closeSocket(ws);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        failed[why] = (failed[why] ?? 0) + 1;
        if (why === 'http 503') await sleep(20); // the gateway's startup/admission gate: back off a little
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane));
  const seconds = (performance.now() - t0) / 1000;
  return { ok, failed, seconds, serverCpuUsPerConnect: (cpuUs(pid) - cpu0) / Math.max(1, n) };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '10000' },
      warmup: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '16' },
      addresses: { type: 'string', default: '4' },
      'settle-ms': { type: 'string', default: '15000' },
      json: { type: 'string' },
      strict: { type: 'boolean', default: false },
    },
  });
  const int = (name: string, v: string, min: number, max: number) => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < min || x > max) throw new Error(`--${name} must be an integer in [${min}, ${max}]`);
    return x;
  };
  const n = int('n', values.n!, 1, 200_000);
  const warmup = int('warmup', values.warmup!, 0, 50_000);
  const concurrency = int('concurrency', values.concurrency!, 1, 256);
  const addresses = Array.from({ length: int('addresses', values.addresses!, 1, 200) }, (_, i) => `127.0.0.${i + 2}`);
  const settleMs = int('settle-ms', values['settle-ms']!, 0, 120_000);
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run bench:storm does)`);
  // bounded: 20 ms per connection even on a loaded machine, plus the settles
  startWatchdog('bench:storm', 60 + Math.ceil(((n + warmup) * 20) / 1000) + (2 * settleMs) / 1000);

  const loadStart = loadAvg();
  console.log(`bench:storm  ${treeLabel()}, node ${process.version}, load average ${loadStart}`);
  console.log(`  ${fmtInt(n)} connect → hello-ok → close cycles (+${fmtInt(warmup)} warm-up), ${concurrency} at a time from ${addresses.length} source addresses, settle ${settleMs} ms`);
  const gw = await startProbedGateway(makeTempDir('clawgate-bench-storm-'));
  try {
    const reading = async (label: string): Promise<ProbeReading> => {
      await sleep(settleMs);
      const r = await gw.read(true);
      console.log(`  ${label.padEnd(28)} RSS ${mib(r.rss).padStart(7)} MiB   heap used ${mib(r.heapUsed).padStart(6)} MiB   heap total ${mib(r.heapTotal).padStart(6)} MiB   external ${mib(r.external).padStart(6)} MiB`
        + `${r.gc ? '' : '   (no GC: --expose-gc missing)'}`);
      return r;
    };
    const start = await gw.read(true);
    console.log(`  ${'gateway started'.padEnd(28)} RSS ${mib(start.rss).padStart(7)} MiB   heap used ${mib(start.heapUsed).padStart(6)} MiB`);
    if (warmup > 0) await storm(gw.port, gw.pid, warmup, concurrency, addresses);
    const before = await reading('baseline (after warm-up)');
    const r = await storm(gw.port, gw.pid, n, concurrency, addresses);
    const failures = Object.values(r.failed).reduce((a, b) => a + b, 0);
    console.log(`  storm: ${fmtInt(r.ok)}/${fmtInt(n)} hello-ok in ${r.seconds.toFixed(1)} s = ${fmtInt(r.ok / r.seconds)}/s, `
      + `server CPU ${fmtInt(r.serverCpuUsPerConnect)} µs per connect+close${failures ? `; failed: ${JSON.stringify(r.failed)}` : ''}`);
    const after = await reading('after the storm');
    const rssRatio = after.rss / before.rss;
    const heapRatio = after.heapUsed / before.heapUsed;
    const rssMet = rssRatio <= 1 + TOLERANCE;
    console.log(`\n  RSS after ÷ baseline       ${rssRatio.toFixed(3)}  (${mib(after.rss - before.rss)} MiB), target ≤ ${(1 + TOLERANCE).toFixed(2)}: ${rssMet ? 'MET' : 'NOT MET'}`);
    console.log(`  live heap after ÷ baseline ${heapRatio.toFixed(3)}  (${mib(after.heapUsed - before.heapUsed)} MiB; informational: a leak of per-connection state shows here first)`);
    const loadEnd = loadAvg();
    console.log(`  load average ${loadStart} at the start, ${loadEnd} at the end (2 cores: a loaded machine slows the storm, it does not change the memory verdict)`);
    if (values.json) {
      writeFileSync(values.json, `${JSON.stringify({ n, warmup, concurrency, addresses: addresses.length, settleMs, start, before, after, storm: r, rssRatio, heapRatio, rssMet, loadStart, loadEnd }, null, 2)}\n`);
    }
    await gw.stop();
    return values.strict && (!rssMet || failures > 0) ? 1 : 0;
  } finally {
    killAllNow();
    removeTempDirs();
  }
}

runBench('bench:storm', 'stopping the gateway', main);
