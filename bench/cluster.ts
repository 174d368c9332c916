// `npm run bench:cluster`: cluster mode (issue 17) against the single process, in one run, on loopback.
//
// Starts a real nats-server (JetStream, test/helpers/nats-server.ts), three built gateways A, B, C with
// --nats-url (distinct state dirs, instance ids bench-a/b/c) and one gateway without NATS (the baseline), then:
//
//   1. HTTP messages/s: --requests POST /v1/gateway/messages, each a distinct session, --connections at once;
//      single = all to the one process, cluster = round-robin over A, B, C. Alternated for --rounds rounds.
//   2. Latency, one request at a time (--samples each): the POST round trip, single vs cluster (p50/p99),
//      and for a run accepted by A, when its chat `final` event reaches an operator on A (same instance)
//      and one on B (over NATS), measured from the POST; B−A per run is the extra hop.
//   3. WS connections held: --n per instance on A, B, C (one holder process per instance, as the open-files
//      limit is per process), then one message accepted by A: every socket on every instance should get its
//      chat `final`; per instance: held, delivered, dropped.
//
// The goal of issue 17 is 3 × 19 000 connections (`--n 19000`; the default 2000 finishes in a few minutes on
// 2 cores). Every loop is bounded in count and time; --budget is a hard wall-time limit for the whole run.
// All processes (nats-server, gateways, holders) are killed on exit, on errors and on signals.
//
//   --n N            WS connections per instance (default 2000)
//   --requests N     POSTs per throughput case per round (default 2000)
//   --connections N  POSTs in flight in the throughput cases (default 32)
//   --rounds N       rounds of single/cluster alternation (default 2)
//   --warmup N       POSTs per mode before the rounds, not measured (default 300: JIT and first sessions)
//   --samples N      sequential samples per latency case (default 200)
//   --budget S       hard wall-time limit in seconds (default 600)
//   --cpu-prof DIR   run every gateway under `node --cpu-prof`, profiles written to DIR as they stop
//                    (bench/cpuprofile-top.mjs summarizes them); the profiler costs CPU: not comparable figures
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { startNatsServer, type NatsServer } from '../test/helpers/nats-server.js';
import { gatewayArgv } from './lib/gateway-command.js';
import { runBench, startWatchdog } from './lib/lifecycle.js';
import { HOST, startOnFreePort } from './lib/local-server.js';
import { captureOutput, stopChild, track } from './lib/processes.js';
import { fmt, fmtInt, loadAvg, treeLabel } from './lib/report.js';
import { makeTempDir } from './lib/temp-dirs.js';
import { closeSocket, handshake } from './lib/ws-handshake.js';

const SELF = fileURLToPath(import.meta.url);

interface Gateway {
  name: string;
  url: string;
  wsUrl: string;
  proc: ChildProcess;
  output: () => string;
}

/** The built gateway on a free loopback port; `extra` adds the cluster flags. Resolves once /readyz is 200. */
async function startGateway(name: string, maxConnections: number, extra: string[], nodeArgs: string[]): Promise<Gateway> {
  const stateDir = makeTempDir(`clawgate-bench-cluster-${name}-`);
  const started = await startOnFreePort((port) => {
    const proc = track(spawn(process.execPath,
      gatewayArgv(nodeArgs, ['--bind', HOST, '--port', String(port), '--state-dir', stateDir, '--log-level', 'warn',
        '--max-connections', String(maxConnections), ...extra]),
      { stdio: ['ignore', 'pipe', 'pipe'] }));
    return { name, proc, output: captureOutput(proc) };
  }, 20_000);
  const url = `http://${HOST}:${started.port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
    if (res) await res.arrayBuffer();
    if (res?.status === 200) break;
    if (Date.now() > deadline) throw new Error(`${name} was not ready within 20 s:\n${started.output()}`);
    await sleep(50);
  }
  return { name, url, wsUrl: `ws://${HOST}:${started.port}/`, proc: started.proc, output: started.output };
}

/** One POST /v1/gateway/messages; resolves with its round trip in ms, or throws on anything but a 200 echo. */
async function postMessage(gw: Gateway, from: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${gw.url}/v1/gateway/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from, text: 'hi' }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await res.text();
  if (res.status !== 200 || !body.includes('Echo: hi')) throw new Error(`${gw.name} answered ${res.status} ${body.slice(0, 300)}`);
  return performance.now() - t0;
}

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
const sortNum = (xs: number[]) => [...xs].sort((a, b) => a - b);

/** `total` POSTs with distinct sessions, `inFlight` at once, round-robin over `targets`; bounded by `deadlineMs`. */
async function throughput(targets: readonly Gateway[], total: number, inFlight: number, tag: string, deadlineMs: number) {
  let next = 0;
  let ok = 0;
  let failed = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < total && performance.now() - t0 < deadlineMs) {
      const i = next++;
      try {
        await postMessage(targets[i % targets.length], `${tag}-${i}`);
        ok++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { ok, failed, rps: ok / ((performance.now() - t0) / 1000) };
}

/** Resolves with the arrival time (performance.now()) of the chat `final` for `from`'s session on `ws`. */
function finalArrival(ws: WebSocket, from: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: Buffer) => {
      const text = data.toString('utf8');
      if (!text.includes(from) || !text.includes('"final"')) return;
      const at = performance.now();
      const m = JSON.parse(text) as { event?: string; payload?: { state?: string; sessionKey?: string } };
      if (m.event !== 'chat' || m.payload?.state !== 'final' || !m.payload.sessionKey?.endsWith(from)) return;
      clearTimeout(timer);
      ws.off('message', onMessage);
      resolve(at);
    };
    const timer = setTimeout(() => {
      ws.off('message', onMessage);
      reject(new Error(`no chat final for ${from} within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.on('message', onMessage);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Holder: a child process that holds N operator sockets on one gateway and counts one broadcast.

interface HolderReport { t: 'held'; held: number; failed: number; why: Record<string, number> }
interface CountReport { t: 'counted'; delivered: number; held: number }

async function holderMain(): Promise<void> {
  const url = process.env.BENCH_HOLD_URL!;
  const n = Number(process.env.BENCH_HOLD_N);
  const deadline = Date.now() + Number(process.env.BENCH_HOLD_MS);
  const sockets: WebSocket[] = [];
  const why: Record<string, number> = {};
  let next = 0;
  const worker = async () => {
    while (next < n && Date.now() < deadline) {
      next++;
      // a 503 (too many unauthenticated sockets from this address at once) is tried again, 20 times at most
      for (let attempt = 1; ; attempt++) {
        try {
          sockets.push(await handshake(url, { timeoutMs: 20_000 }));
          break;
        } catch (err) {
          const k = err instanceof Error ? err.message : String(err);
          if (k === 'http 503' && attempt < 20 && Date.now() < deadline) {
            await sleep(20 * attempt);
            continue;
          }
          why[k] = (why[k] ?? 0) + 1;
          break;
        }
      }
    }
  };
  // in-flight handshakes stay below the gateway's 32 unauthenticated sockets per source address
  await Promise.all(Array.from({ length: 24 }, worker));
  const failed = n - sockets.length;
  process.send!({ t: 'held', held: sockets.length, failed, why } satisfies HolderReport);
  process.on('message', (raw) => {
    const m = raw as { t: string; from?: string; timeoutMs?: number };
    if (m.t === 'count') {
      let delivered = 0;
      const open = sockets.filter((s) => s.readyState === WebSocket.OPEN);
      const done = () => process.send!({ t: 'counted', delivered, held: open.length } satisfies CountReport);
      const timer = setTimeout(done, m.timeoutMs);
      for (const s of open) {
        void finalArrival(s, m.from!, m.timeoutMs!).then(() => {
          if (++delivered === open.length) {
            clearTimeout(timer);
            done();
          }
        }, () => {});
      }
    } else if (m.t === 'close') {
      void Promise.all(sockets.map((s) => closeSocket(s, 1000))).then(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
}

interface Holder {
  proc: ChildProcess;
  report: Promise<HolderReport>;
  count(from: string, timeoutMs: number): Promise<CountReport>;
}

function startHolder(gw: Gateway, n: number, deadlineMs: number): Holder {
  const proc = track(spawn(process.execPath, ['--import', 'tsx', SELF], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, BENCH_HOLDER: '1', BENCH_HOLD_URL: gw.wsUrl, BENCH_HOLD_N: String(n), BENCH_HOLD_MS: String(deadlineMs) },
  }));
  const next = <T>(t: string) => new Promise<T>((resolve, reject) => {
    const on = (m: { t: string }) => {
      if (m.t !== t) return;
      proc.off('message', on);
      resolve(m as T);
    };
    proc.on('message', on);
    proc.once('exit', (code) => reject(new Error(`holder for ${gw.name} exited (${code})`)));
  });
  const report = next<HolderReport>('held');
  return {
    proc, report,
    count(from, timeoutMs) {
      const r = next<CountReport>('counted');
      proc.send({ t: 'count', from, timeoutMs });
      return r;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '2000' }, requests: { type: 'string', default: '2000' },
      connections: { type: 'string', default: '32' }, rounds: { type: 'string', default: '2' }, warmup: { type: 'string', default: '300' },
      samples: { type: 'string', default: '200' }, budget: { type: 'string', default: '600' }, 'cpu-prof': { type: 'string' },
    },
  });
  const int = (k: keyof typeof values) => {
    const v = Number(values[k]);
    if (!Number.isInteger(v) || v < 0) throw new Error(`--${k} must be a whole number ≥ 0, got ${values[k]}`);
    return v;
  };
  const [n, requests, inFlight, rounds, samples, budgetS] = [int('n'), int('requests'), int('connections'), int('rounds'), int('samples'), int('budget')];
  startWatchdog('bench:cluster', budgetS);
  const t0 = Date.now();
  const left = () => budgetS * 1000 - (Date.now() - t0);

  console.log(`bench:cluster — tree ${treeLabel()}, load ${loadAvg()} at start, node ${process.version}`);
  console.log(`  3 gateways on one nats-server vs 1 gateway; ${n} WS connections per instance (goal of issue 17: 3 × 19 000, --n 19000)`);

  let nats: NatsServer | undefined;
  process.on('exit', () => {
    if (nats && nats.pid > 0) {
      try {
        process.kill(nats.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });
  nats = await startNatsServer({ storeDir: makeTempDir('clawgate-bench-nats-') }); // removed on every exit path
  const maxConn = n + 500;
  const prof = values['cpu-prof'];
  const nodeArgs = (name: string) => (prof ? ['--cpu-prof', '--cpu-prof-dir', prof, '--cpu-prof-name', `${name}.cpuprofile`] : []);
  const single = await startGateway('single', maxConn, [], nodeArgs('single'));
  const cluster = await Promise.all(['a', 'b', 'c'].map((id) =>
    startGateway(`bench-${id}`, maxConn, ['--nats-url', nats!.url, '--instance-id', `bench-${id}`], nodeArgs(`bench-${id}`))));
  const [a, b] = cluster;
  for (const gw of [single, ...cluster]) await postMessage(gw, `sanity-${gw.name}`);
  const tag = `cb${process.pid}`;

  // 1. throughput
  console.log(`\n1. HTTP messages/s, distinct sessions, ${requests} per case per round, ${inFlight} in flight`);
  const rps: Record<'single' | 'cluster', number[]> = { single: [], cluster: [] };
  let failures = 0;
  for (const targets of [[single], cluster]) await throughput(targets, int('warmup'), inFlight, `${tag}-warm-${targets.length}`, 60_000);
  for (let r = 0; r < rounds; r++) {
    for (const [name, targets] of [['single', [single]], ['cluster', cluster]] as const) {
      const res = await throughput(targets, requests, inFlight, `${tag}-tp-${name}-${r}`, Math.min(120_000, left() - 60_000));
      failures += res.failed;
      rps[name].push(res.rps);
      console.log(`  round ${r + 1} ${name.padEnd(8)} ${fmtInt(res.rps).padStart(7)} msg/s  (${res.ok} ok, ${res.failed} failed)`);
    }
  }
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  console.log(`  cluster ÷ single: ${fmt(mean(rps.cluster) / mean(rps.single), 2)} (3 processes on ${2} cores share the machine with nats-server and this client)`);

  // 2. latency
  console.log(`\n2. latency, one at a time, ${samples} samples per case`);
  const rtt: Record<'single' | 'cluster', number[]> = { single: [], cluster: [] };
  for (let i = 0; i < samples && left() > 60_000; i++) {
    rtt.single.push(await postMessage(single, `${tag}-lat-s-${i}`));
    rtt.cluster.push(await postMessage(cluster[i % 3], `${tag}-lat-c-${i}`));
  }
  const readerA = await handshake(a.wsUrl, { timeoutMs: 10_000 });
  const readerB = await handshake(b.wsUrl, { timeoutMs: 10_000 });
  const evA: number[] = [];
  const evB: number[] = [];
  const hop: number[] = [];
  for (let i = 0; i < samples && left() > 45_000; i++) {
    const from = `${tag}-ev-${i}`;
    const onA = finalArrival(readerA, from, 10_000);
    const onB = finalArrival(readerB, from, 10_000);
    const sent = performance.now();
    await postMessage(a, from);
    const [ta, tb] = await Promise.all([onA, onB]);
    evA.push(ta - sent);
    evB.push(tb - sent);
    hop.push(tb - ta);
  }
  await closeSocket(readerA);
  await closeSocket(readerB);
  const line = (label: string, xs: number[]) => {
    const s = sortNum(xs);
    console.log(`  ${label.padEnd(52)} p50 ${fmt(pct(s, 50), 2).padStart(7)} ms   p99 ${fmt(pct(s, 99), 2).padStart(7)} ms   (${xs.length})`);
  };
  line('POST round trip, single process', rtt.single);
  line('POST round trip, cluster (A/B/C in turn)', rtt.cluster);
  line('run on A → chat final on a reader on A (from POST)', evA);
  line('run on A → chat final on a reader on B (from POST)', evB);
  line('extra for B over A, same run (B − A)', hop);
  const ps = sortNum(rtt.single);
  const pc = sortNum(rtt.cluster);
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${fmt(x, 2)}`;
  console.log(`  cluster − single POST: p50 ${signed(pct(pc, 50) - pct(ps, 50))} ms, p99 ${signed(pct(pc, 99) - pct(ps, 99))} ms`);

  // 3. connections held + one cross-instance broadcast
  console.log(`\n3. WS: ${n} operator connections per instance, then one message accepted by A`);
  const holders = cluster.map((gw) => startHolder(gw, n, Math.max(10_000, Math.min(left() - 30_000, 240_000))));
  const held = await Promise.all(holders.map((h) => h.report));
  cluster.forEach((gw, i) => {
    const h = held[i];
    const why = Object.entries(h.why).map(([k, v]) => `${k} ×${v}`).join(', ');
    console.log(`  ${gw.name}: held ${h.held} of ${n}${h.failed ? ` (failed ${h.failed}: ${why})` : ''}`);
  });
  const from = `${tag}-broadcast`;
  const counting = holders.map((h) => h.count(from, 15_000));
  await sleep(200); // the holders have attached their listeners
  const sent = performance.now();
  await postMessage(a, from);
  const counts = await Promise.all(counting);
  const wall = performance.now() - sent;
  let drops = 0;
  cluster.forEach((gw, i) => {
    const c = counts[i];
    drops += c.held - c.delivered;
    console.log(`  ${gw.name}: delivered ${c.delivered} of ${c.held} held, dropped ${c.held - c.delivered}`);
  });
  console.log(`  all ${counts.reduce((s, c) => s + c.held, 0)} sockets: ${drops} dropped, last final ${fmt(wall, 0)} ms after the POST`);
  for (const h of holders) h.proc.send({ t: 'close' });
  await Promise.all(holders.map((h) => stopChild(h.proc, 5000)));

  await Promise.all([single, ...cluster].map((gw) => stopChild(gw.proc, prof ? 15_000 : 2000)));
  await nats.stop();
  nats = undefined;
  console.log(`\nload ${loadAvg()} at end; ${fmt((Date.now() - t0) / 1000, 0)} s; ${failures} failed POSTs`);
  return failures === 0 && drops === 0 ? 0 : 1;
}

if (process.env.BENCH_HOLDER === '1') {
  void holderMain();
} else {
  runBench('bench:cluster', 'stopping nats-server, gateways and holders', main);
}
