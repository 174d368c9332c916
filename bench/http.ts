// `npm run bench:http`: the gateway's HTTP data plane against a bare uWebSockets.js server, in one run.
//
// Starts the built gateway (dist/src/cli/main.js) and bench/bare-uws.mjs as child processes on 127.0.0.1, waits
// until each answers, checks one answer of each, then drives them with autocannon at a fixed concurrency:
//
//   bare      GET  /healthz
//   gateway   GET  /healthz
//   gateway   POST /v1/gateway/messages, a distinct `from` (= a distinct session) per request
//   gateway   POST /v1/gateway/messages, all in one session
//
// Every case gets a warm-up, then the four cases are measured in alternation for --rounds rounds, so slow
// drift of a noisy machine hits all of them alike. Per case: req/s, p50/p99 latency (µs-resolution, from
// autocannon's per-response times), non-2xx/errors/timeouts, and the server process's CPU time per request
// (utime+stime from /proc/<pid>/stat over the measured window ÷ responses). Then ratios against the bare
// baseline, the gateway's RSS, and met/not met per target.
//
//   --connections N   concurrent connections (default 50; pipelining is always 1)
//   --duration S      seconds per case per round (default 4)
//   --rounds N        rounds of alternation (default 2)
//   --warmup S        warm-up seconds per case, not measured (default 2)
//   --threads N       load-generator threads: 0 = autocannon in this thread, N = N worker threads that
//                     split the connections (default 2: one autocannon thread tops out near 70k req/s here,
//                     below what bare uWS serves, so it would flatter every ratio; two reach ~110k)
//   --ready-runs N    runs of the ready phase after the load (spawn → /readyz 200, both planes; default 9, 0 = skip)
//   --json FILE       also write the results as JSON
//   --cases IDS       only these cases, comma-separated (bare-healthz always runs: it is the baseline);
//                     e.g. --cases gw-msg-distinct to profile the message path alone
//   --cpu-prof DIR    run the gateway under `node --cpu-prof`, the profile written to DIR when it stops
//                     (summarize it with bench/cpuprofile-top.mjs); the profiler costs CPU, so the figures of
//                     that run are not comparable with unprofiled ones
//   --strict          exit 1 when a target is not met or a case saw errors
//
// Linux only for the CPU and RSS columns (/proc). Children are killed on exit, on errors and on signals.
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, threadId } from 'node:worker_threads';
import { CLI, gatewayArgv } from './lib/gateway-command.js';
import { runBench, startWatchdog } from './lib/lifecycle.js';
import { HOST, startOnFreePort, waitHealthy } from './lib/local-server.js';
import { CLK_TCK, cpuTicks, vmKiB } from './lib/proc-stats.js';
import { captureOutput, killAllNow, stopChild, track, waitReadyPort } from './lib/processes.js';
import { fmt, fmtInt, loadAvg, treeLabel } from './lib/report.js';
import { makeTempDir, removeTempDirs } from './lib/temp-dirs.js';
import { readyPhase } from './lib/ready-phase.js';
import { RUN_BUDGET_S } from './lib/start-time.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BARE = join(ROOT, 'bench/bare-uws.mjs');

// ---------------------------------------------------------------------------------------------------------
// Load generation (runs in this thread or in worker threads)

type Kind = 'get' | 'distinct' | 'same';

interface LoadSpec {
  url: string;
  connections: number;
  durationS: number;
  kind: Kind;
  /** Prefix of the `from` field: unique per case, phase and thread. */
  tag: string;
}

/** Latencies in whole µs; the last bucket holds everything at or above it. */
const HIST_BUCKETS = 1_000_000;

interface LoadResult {
  responses: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  hist: Uint32Array;
}

async function runLoadHere(spec: LoadSpec): Promise<LoadResult> {
  const hist = new Uint32Array(HIST_BUCKETS + 1);
  let responses = 0;
  let seq = 0;
  const opts: autocannon.Options = {
    url: spec.url, connections: spec.connections, pipelining: 1, duration: spec.durationS, timeout: 5,
  };
  const headers = { 'content-type': 'application/json' };
  if (spec.kind === 'distinct') {
    opts.requests = [{
      method: 'POST', headers,
      setupRequest(req) {
        req.body = `{"from":"${spec.tag}-${++seq}","text":"hi"}`;
        return req;
      },
    }];
  } else if (spec.kind === 'same') {
    opts.requests = [{ method: 'POST', headers, body: JSON.stringify({ from: spec.tag, text: 'hi' }) }];
  }
  const run = autocannon(opts);
  run.on('response', (_client, _status, _bytes, ms) => {
    responses++;
    const us = Math.round(ms * 1000);
    hist[Math.min(us, HIST_BUCKETS)]++;
  });
  const r = await run;
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(r.statusCodeStats)) statusCodes[code] = count;
  return { responses, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts, statusCodes, hist };
}

/** Runs specs in this thread (threads = 0) or spreads the connections over long-lived worker threads. */
class LoadGenerator {
  private readonly workers: Worker[] = [];

  private constructor(private readonly threads: number) {}

  static async create(threads: number): Promise<LoadGenerator> {
    const gen = new LoadGenerator(threads);
    if (threads > 0) {
      // a worker does not inherit `--import tsx`: register tsx's loader in it, then load this very file
      const tsxApi = import.meta.resolve('tsx/esm/api');
      const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
      for (let i = 0; i < threads; i++) {
        const w = new Worker(boot, { eval: true });
        await new Promise<void>((resolve, reject) => {
          w.once('message', (m: unknown) => (m === 'ready' ? resolve() : reject(new Error(`worker said ${String(m)}`))));
          w.once('error', reject);
        });
        gen.workers.push(w);
      }
    }
    return gen;
  }

  async run(spec: LoadSpec): Promise<LoadResult> {
    if (this.threads === 0) return runLoadHere(spec);
    const parts = await Promise.all(this.workers.map((w, i) => {
      const connections = Math.floor(spec.connections / this.threads) + (i < spec.connections % this.threads ? 1 : 0);
      return new Promise<LoadResult>((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        w.once('error', onError);
        w.once('message', (r: LoadResult) => {
          w.off('error', onError);
          resolve(r);
        });
        w.postMessage({ ...spec, connections, tag: `${spec.tag}-t${i}` } satisfies LoadSpec);
      });
    }));
    return mergeResults(parts);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function mergeResults(parts: LoadResult[]): LoadResult {
  const out: LoadResult = {
    responses: 0, non2xx: 0, errors: 0, timeouts: 0, statusCodes: {}, hist: new Uint32Array(HIST_BUCKETS + 1),
  };
  for (const p of parts) {
    out.responses += p.responses;
    out.non2xx += p.non2xx;
    out.errors += p.errors;
    out.timeouts += p.timeouts;
    for (const [code, n] of Object.entries(p.statusCodes)) out.statusCodes[code] = (out.statusCodes[code] ?? 0) + n;
    for (let i = 0; i < p.hist.length; i++) out.hist[i] += p.hist[i];
  }
  return out;
}

/** Percentile in µs from a histogram of whole µs (the overflow bucket reads as its lower bound). */
function percentileUs(hist: Uint32Array, p: number): number {
  let total = 0;
  for (let i = 0; i < hist.length; i++) total += hist[i];
  if (total === 0) return NaN;
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i];
    if (seen >= rank) return i;
  }
  return hist.length - 1;
}

// ---------------------------------------------------------------------------------------------------------
// Child processes

interface Server {
  name: string;
  proc: ChildProcess;
  pid: number;
  port: number;
  output: () => string;
}

function startGateway(stateDir: string, cpuProfDir?: string): Promise<Server> {
  const nodeArgs = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  return startOnFreePort((port) => {
    const proc = track(spawn(process.execPath,
      gatewayArgv(nodeArgs, ['--bind', HOST, '--port', String(port), '--state-dir', stateDir, '--log-level', 'warn']),
      { stdio: ['ignore', 'pipe', 'pipe'] }));
    return { name: 'gateway', proc, pid: proc.pid!, output: captureOutput(proc) };
  }, 15_000);
}

async function startBare(): Promise<Server> {
  const proc = track(spawn(process.execPath, [BARE, '0', '--exit-on-stdin-close'], { stdio: ['pipe', 'pipe', 'pipe'] }));
  const output = captureOutput(proc);
  const port = await waitReadyPort(proc, 'bare uWS', output);
  const server = { name: 'bare uWS', proc, pid: proc.pid!, output };
  await waitHealthy(server, port, 10_000);
  return { ...server, port };
}

// ---------------------------------------------------------------------------------------------------------
// The bench

interface CaseDef {
  id: string;
  label: string;
  server: 'bare' | 'gateway';
  path: string;
  kind: Kind;
}

const ALL_CASES: CaseDef[] = [
  { id: 'bare-healthz', label: 'bare uWS GET /healthz', server: 'bare', path: '/healthz', kind: 'get' },
  { id: 'gw-healthz', label: 'gateway GET /healthz', server: 'gateway', path: '/healthz', kind: 'get' },
  { id: 'gw-msg-distinct', label: 'gateway POST messages, distinct sessions', server: 'gateway', path: '/v1/gateway/messages', kind: 'distinct' },
  { id: 'gw-msg-same', label: 'gateway POST messages, one session', server: 'gateway', path: '/v1/gateway/messages', kind: 'same' },
];

interface Sample {
  responses: number;
  wallS: number;
  serverTicks: number;
  clientCpuUs: number;
  result: LoadResult;
}

interface CaseStats {
  def: CaseDef;
  samples: Sample[];
  rps: number;
  roundRps: number[];
  p50Us: number;
  p99Us: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Server CPU µs per response. */
  cpuUsPerReq: number;
  /** Server CPU as a share of one core over the measured windows. */
  serverCore: number;
  /** Load generator CPU (this process, all threads) as a share of one core. */
  clientCore: number;
}

async function measure(gen: LoadGenerator, server: Server, spec: LoadSpec): Promise<Sample> {
  const ticks0 = cpuTicks(server.pid);
  const self0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const result = await gen.run(spec);
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const self = process.cpuUsage(self0);
  const ticks1 = cpuTicks(server.pid);
  return { responses: result.responses, wallS, serverTicks: ticks1 - ticks0, clientCpuUs: self.user + self.system, result };
}

function summarize(def: CaseDef, samples: Sample[]): CaseStats {
  const merged = mergeResults(samples.map((s) => s.result));
  const responses = samples.reduce((a, s) => a + s.responses, 0);
  const wallS = samples.reduce((a, s) => a + s.wallS, 0);
  const ticks = samples.reduce((a, s) => a + s.serverTicks, 0);
  const clientUs = samples.reduce((a, s) => a + s.clientCpuUs, 0);
  return {
    def, samples,
    rps: responses / wallS,
    roundRps: samples.map((s) => s.responses / s.wallS),
    p50Us: percentileUs(merged.hist, 50),
    p99Us: percentileUs(merged.hist, 99),
    non2xx: merged.non2xx, errors: merged.errors, timeouts: merged.timeouts, statusCodes: merged.statusCodes,
    cpuUsPerReq: ((ticks / CLK_TCK) * 1e6) / responses,
    serverCore: ticks / CLK_TCK / wallS,
    clientCore: clientUs / 1e6 / wallS,
  };
}

const fmtMs = (us: number) => (Number.isFinite(us) ? (us >= HIST_BUCKETS ? `≥${HIST_BUCKETS / 1000}ms` : `${(us / 1000).toFixed(2)}ms`) : 'n/a');
const fmtPct = (x: number) => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : 'n/a');
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);

function sampleLine(def: CaseDef, s: Sample): string {
  const rps = s.responses / s.wallS;
  const cpu = ((s.serverTicks / CLK_TCK) * 1e6) / s.responses;
  const r = s.result;
  return `  ${pad(def.id, 16)} ${lpad(fmtInt(rps), 8)} req/s  p50 ${lpad(fmtMs(percentileUs(r.hist, 50)), 8)}  p99 ${lpad(fmtMs(percentileUs(r.hist, 99)), 8)}`
    + `  server ${lpad(fmt(cpu), 6)} µs/req (${fmtPct(s.serverTicks / CLK_TCK / s.wallS)} core)`
    + `  client ${fmtPct(s.clientCpuUs / 1e6 / s.wallS)} core  non2xx ${r.non2xx} err ${r.errors} timeout ${r.timeouts}`;
}

async function sanityCheck(bare: Server, gw: Server): Promise<void> {
  for (const s of [bare, gw]) {
    const res = await fetch(`http://${HOST}:${s.port}/healthz`, { signal: AbortSignal.timeout(2000) });
    const body = await res.text();
    if (res.status !== 200 || body !== '{"status":"ok"}' || !res.headers.get('content-type')?.startsWith('application/json')) {
      throw new Error(`${s.name} /healthz answered ${res.status} ${res.headers.get('content-type')} ${body}`);
    }
  }
  const res = await fetch(`http://${HOST}:${gw.port}/v1/gateway/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"from":"bench-sanity","text":"hi"}',
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // reported below
  }
  if (res.status !== 200 || body.reply !== 'Echo: hi' || body.session_id !== 'http:dm:bench-sanity' || typeof body.request_id !== 'string') {
    throw new Error(`gateway /v1/gateway/messages answered ${res.status} ${text}`);
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', default: '50' },
      duration: { type: 'string', default: '4' },
      rounds: { type: 'string', default: '2' },
      warmup: { type: 'string', default: '2' },
      threads: { type: 'string', default: '2' },
      json: { type: 'string' },
      strict: { type: 'boolean', default: false },
      'ready-runs': { type: 'string', default: '9' },
      cases: { type: 'string' },
      'cpu-prof': { type: 'string' },
    },
  });
  const num = (name: string, v: string, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number in [${min}, ${max}]`);
    return n;
  };
  const connections = Math.round(num('connections', values.connections!, 1, 1000));
  const durationS = num('duration', values.duration!, 1, 60);
  const rounds = Math.round(num('rounds', values.rounds!, 1, 10));
  const warmupS = num('warmup', values.warmup!, 0, 30);
  const threads = Math.round(num('threads', values.threads!, 0, 8));
  const readyRuns = Math.round(num('ready-runs', values['ready-runs']!, 0, 50));
  const wanted = values.cases?.split(',').map((c) => c.trim()).filter(Boolean);
  for (const id of wanted ?? []) if (!ALL_CASES.some((d) => d.id === id)) throw new Error(`--cases: no case ${id} (${ALL_CASES.map((d) => d.id).join(', ')})`);
  const CASES = ALL_CASES.filter((d) => d.id === 'bare-healthz' || !wanted || wanted.includes(d.id));
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run bench:http does)`);

  // Everything is bounded: a watchdog ends the run if it takes far longer than planned.
  const budgetS = CASES.length * (Math.ceil(warmupS) + 1 + rounds * (durationS + 6)) + 60 + (readyRuns + 1) * 2 * RUN_BUDGET_S;
  startWatchdog('bench:http', budgetS);

  const tree = treeLabel();
  const loadStart = loadAvg();
  console.log(`bench:http  ${tree}, node ${process.version}, load average ${loadStart}`);
  console.log(`  ${connections} connections, pipelining 1, `
    + `${rounds} round(s) × ${durationS} s per case after ${warmupS} s warm-up, `
    + `load generator: ${threads === 0 ? 'main thread' : `${threads} worker thread(s)`}, CLK_TCK ${CLK_TCK}`);

  const stateDir = makeTempDir('clawgate-bench-http-');
  let gen: LoadGenerator | undefined;
  try {
    const [bare, gw] = await Promise.all([startBare(), startGateway(stateDir, values['cpu-prof'])]);
    console.log(`bare uWS pid ${bare.pid} on ${HOST}:${bare.port}; gateway pid ${gw.pid} on ${HOST}:${gw.port} (state ${stateDir})`);
    await sanityCheck(bare, gw);
    gen = await LoadGenerator.create(threads);
    const serverOf = (d: CaseDef) => (d.server === 'bare' ? bare : gw);
    const specOf = (d: CaseDef, seconds: number, phase: string): LoadSpec => ({
      url: `http://${HOST}:${serverOf(d).port}${d.path}`, connections, durationS: seconds, kind: d.kind,
      tag: d.kind === 'same' ? 'bench-one-session' : `${d.id}-${phase}-${process.pid}-${threadId}`,
    });

    if (warmupS > 0) {
      console.log('warm-up');
      for (const d of CASES) {
        const s = await measure(gen, serverOf(d), specOf(d, warmupS, 'warmup'));
        console.log(sampleLine(d, s));
        await sleep(250);
      }
    }
    const samples = new Map<string, Sample[]>(CASES.map((d) => [d.id, []]));
    for (let round = 1; round <= rounds; round++) {
      console.log(`round ${round}/${rounds}`);
      for (const d of CASES) {
        const s = await measure(gen, serverOf(d), specOf(d, durationS, `r${round}`));
        samples.get(d.id)!.push(s);
        console.log(sampleLine(d, s));
        await sleep(250); // let the closed connections drain before the next case
      }
    }
    const rssKiB = vmKiB(gw.pid, 'VmRSS');
    const hwmKiB = vmKiB(gw.pid, 'VmHWM');
    const bareRssKiB = vmKiB(bare.pid, 'VmRSS');

    const stats = CASES.map((d) => summarize(d, samples.get(d.id)!));
    const byId = (id: string) => stats.find((s) => s.def.id === id)!;
    const ran = (id: string) => stats.some((s) => s.def.id === id);
    const base = byId('bare-healthz');

    console.log('\nresults (req/s = responses ÷ wall time over all rounds; p50/p99 over all rounds; CPU = server utime+stime)');
    const header = `${pad('case', 42)} ${lpad('req/s', 8)}  ${pad('per round', 17)} ${lpad('p50', 7)} ${lpad('p99', 8)}  ${lpad('non2xx/err/t-o', 14)} ${lpad('µs CPU/req', 10)} ${lpad('srv core', 8)} ${lpad('client', 6)}`;
    console.log(header);
    console.log('-'.repeat(header.length));
    for (const s of stats) {
      console.log(`${pad(s.def.label, 42)} ${lpad(fmtInt(s.rps), 8)}  ${pad(s.roundRps.map((x) => fmtInt(x)).join(' / '), 17)} `
        + `${lpad(fmtMs(s.p50Us), 7)} ${lpad(fmtMs(s.p99Us), 8)}  ${lpad(`${s.non2xx}/${s.errors}/${s.timeouts}`, 14)} `
        + `${lpad(fmt(s.cpuUsPerReq), 10)} ${lpad(fmtPct(s.serverCore), 8)} ${lpad(fmtPct(s.clientCore), 6)}`);
    }

    const ratio = (id: string) => byId(id).rps / base.rps;
    const cpuRatio = (id: string) => byId(id).cpuUsPerReq / base.cpuUsPerReq;
    const verdicts: { id: string; name: string; value: number; target: number; stretch?: number }[] = [
      { id: 'gw-healthz', name: 'gateway healthz ÷ bare (req/s)', value: 0, target: 0.8 },
      // issue 16: messages ≥ 0.1× bare, goal 0.3×
      { id: 'gw-msg-distinct', name: 'distinct-session messages ÷ bare (req/s)', value: 0, target: 0.1, stretch: 0.3 },
    ].filter((v) => ran(v.id)).map((v) => ({ ...v, value: ratio(v.id) }));
    console.log('\nratios against the bare baseline');
    for (const v of verdicts) {
      const met = v.value >= v.target;
      const stretch = v.stretch === undefined ? '' : `, goal ≥ ${v.stretch.toFixed(2)}: ${v.value >= v.stretch ? 'met' : 'not met'}`;
      console.log(`  ${pad(v.name, 50)} ${lpad(v.value.toFixed(2), 6)}   target ≥ ${v.target.toFixed(2)}: ${met ? 'MET' : 'NOT MET'}${stretch}`);
    }
    if (ran('gw-msg-same')) console.log(`  ${pad('one-session messages ÷ bare (req/s)', 50)} ${lpad(ratio('gw-msg-same').toFixed(2), 6)}   (informational)`);
    const cpuNames: Record<string, string> = {
      'gw-healthz': 'gateway healthz', 'gw-msg-distinct': 'distinct-session messages', 'gw-msg-same': 'one-session messages',
    };
    for (const id of Object.keys(cpuNames).filter(ran)) {
      console.log(`  ${pad(`CPU/req ${cpuNames[id]} ÷ bare healthz`, 50)} ${lpad(cpuRatio(id).toFixed(2), 6)}×  (${fmt(byId(id).cpuUsPerReq)} vs ${fmt(base.cpuUsPerReq)} µs)`);
    }
    console.log(`  gateway RSS at the end: ${fmt(rssKiB / 1024)} MiB (peak ${fmt(hwmKiB / 1024)} MiB); bare uWS RSS ${fmt(bareRssKiB / 1024)} MiB`);
    const bad = stats.filter((s) => s.non2xx + s.errors + s.timeouts > 0);
    for (const s of bad) {
      console.log(`  WARNING ${s.def.label}: ${s.non2xx} non-2xx, ${s.errors} errors, ${s.timeouts} timeouts; status codes ${JSON.stringify(s.statusCodes)}`);
    }
    if (base.clientCore >= 0.85 * Math.max(1, threads)) {
      console.log(`  note: the load generator used ${fmtPct(base.clientCore)} of a core on the bare case, so the bare req/s is `
        + 'likely bounded by the client, not by uWS; the CPU µs/req ratios do not depend on the client.');
    }

    const loadEnd = loadAvg();
    console.log(`  load average ${loadStart} at the start, ${loadEnd} at the end (2 cores; well above 1, other work may have skewed req/s: µs CPU/req holds up better)`);
    if (values.json) {
      writeFileSync(values.json, `${JSON.stringify({
        tree, loadStart, loadEnd, node: process.version, connections, durationS, rounds, warmupS, threads, clkTck: CLK_TCK,
        cases: stats.map((s) => ({
          id: s.def.id, label: s.def.label, rps: s.rps, roundRps: s.roundRps, p50Us: s.p50Us, p99Us: s.p99Us,
          non2xx: s.non2xx, errors: s.errors, timeouts: s.timeouts, statusCodes: s.statusCodes,
          cpuUsPerReq: s.cpuUsPerReq, serverCore: s.serverCore, clientCore: s.clientCore,
        })),
        ratios: Object.fromEntries(verdicts.map((v) => [v.name, v.value])),
        cpuRatios: Object.fromEntries(['gw-healthz', 'gw-msg-distinct', 'gw-msg-same'].filter(ran).map((id) => [id, cpuRatio(id)])),
        gatewayRssKiB: rssKiB, gatewayHwmKiB: hwmKiB,
      }, null, 2)}\n`);
    }

    await gen.close();
    gen = undefined;
    await Promise.all([stopChild(bare.proc), stopChild(gw.proc)]);
    const ready = readyRuns > 0 ? await readyPhase(readyRuns) : undefined; // after the load: the servers are gone
    const failed = verdicts.some((v) => v.value < v.target) || bad.length > 0 || ready?.met === false;
    return values.strict && failed ? 1 : 0;
  } finally {
    await gen?.close();
    killAllNow();
    removeTempDirs();
  }
}

if (isMainThread) {
  runBench('bench:http', 'stopping the servers', main);
} else {
  // a load-generator worker: one spec in, one result out, until terminated
  const port = parentPort!;
  port.on('message', (spec: LoadSpec) => {
    runLoadHere(spec).then((r) => port.postMessage(r, [r.hist.buffer as ArrayBuffer]), (err: unknown) => {
      throw err;
    });
  });
  port.postMessage('ready');
}
