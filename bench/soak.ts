// `npm run bench:soak`: --minutes (default 10) of mixed traffic against the built gateway, watching that nothing
// grows without bound. At the same time, each paced and bounded in count:
//   - HTTP: POST /v1/gateway/messages at --rate per second (default 40) over 4 keep-alive lanes, from
//     `soak-<k>` with k cycling over --sessions senders (default 2000: more than live at once, sessions are
//     created, run once and go idle and stop, over and over)
//   - broadcasts: every message's run sends its agent/chat events to every operator.read connection: --operators
//     long-lived operators (default 50) receive them all
//   - WS churn: --churn connect → hello-ok → close cycles per second (default 20)
// The gateway runs with --run-retention-max 2000 (runs kept for `status` lookups: the default 10 000 would take
// most of a 10-minute run to fill, which looks like growth but is the cap being reached).
// Every window (--windows, default 10, of equal length) the gateway's RSS, live heap (after a full GC) and
// event-loop delay over the window (p99, max; the max includes the window's forced GC) are read through an
// IPC probe and printed, with the gateway's CPU per message over the window (all the window's work, churn and
// broadcasts included, ÷ messages: flat while throughput falls means the machine, not the gateway, slowed down).
// Verdict: over the windows after the first quarter (warm-up), the mean of the last third against the mean of
// the first third: live heap ≤ +10 % + 2 MiB and RSS ≤ +10 % + 8 MiB, else GROWING.
//
//   --minutes M  --rate R  --sessions S  --operators K  --churn C  --windows W  --json FILE  --strict
import { existsSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type WebSocket from 'ws';
import { CLI } from './lib/gateway-command.js';
import { runBench, startWatchdog } from './lib/lifecycle.js';
import { HOST } from './lib/local-server.js';
import { mib, type ProbeReading, startProbedGateway } from './lib/probed-gateway.js';
import { cpuUs } from './lib/proc-stats.js';
import { killAllNow } from './lib/processes.js';
import { fmtInt, loadAvg, treeLabel } from './lib/report.js';
import { makeTempDir, removeTempDirs } from './lib/temp-dirs.js';
import { closeSocket, handshake } from './lib/ws-handshake.js';

const HTTP_LANES = 4;

interface Counters {
  messages: number;
  messageErrors: Record<string, number>;
  churn: number;
  churnErrors: Record<string, number>;
  framesToOperators: number;
  operatorsLost: number;
}

const bump = (m: Record<string, number>, k: string) => {
  m[k] = (m[k] ?? 0) + 1;
};

/** Runs `step` at most `perS` times a second until `until` (performance.now() ms) or `max` steps, `lanes` at a time. */
async function paced(perS: number, until: number, max: number, lanes: number, step: (i: number) => Promise<void>): Promise<void> {
  if (perS <= 0) return;
  let i = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (i < max && performance.now() < until) {
      const at = t0 + (i * 1000) / perS;
      const wait = at - performance.now();
      if (wait > 0) await sleep(Math.min(wait, until - performance.now()));
      if (performance.now() >= until) return;
      await step(i++);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}

interface Window {
  atS: number;
  reading: ProbeReading;
  messages: number;
  churn: number;
  frames: number;
  /** Gateway CPU (utime+stime) over the window ÷ messages answered in it: flat while the machine slows = not us. */
  cpuUsPerMessage: number;
}

function verdictOf(windows: Window[]) {
  const after = windows.slice(Math.max(1, Math.floor(windows.length / 4)));
  const third = Math.max(1, Math.floor(after.length / 3));
  const mean = (ws: Window[], f: (r: ProbeReading) => number) => ws.reduce((a, w) => a + f(w.reading), 0) / ws.length;
  const first = after.slice(0, third);
  const last = after.slice(-third);
  const heap = { first: mean(first, (r) => r.heapUsed), last: mean(last, (r) => r.heapUsed) };
  const rss = { first: mean(first, (r) => r.rss), last: mean(last, (r) => r.rss) };
  const heapOk = heap.last <= heap.first * 1.1 + 2 * 1048576;
  const rssOk = rss.last <= rss.first * 1.1 + 8 * 1048576;
  return { heap, rss, heapOk, rssOk, bounded: heapOk && rssOk, compared: after.length };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '10' },
      rate: { type: 'string', default: '40' },
      sessions: { type: 'string', default: '2000' },
      operators: { type: 'string', default: '50' },
      churn: { type: 'string', default: '20' },
      windows: { type: 'string', default: '10' },
      json: { type: 'string' },
      strict: { type: 'boolean', default: false },
    },
  });
  const num = (name: string, v: string, min: number, max: number) => {
    const x = Number(v);
    if (!Number.isFinite(x) || x < min || x > max) throw new Error(`--${name} must be a number in [${min}, ${max}]`);
    return x;
  };
  const minutes = num('minutes', values.minutes!, 0.1, 120);
  const rate = num('rate', values.rate!, 0, 2000);
  const sessions = Math.round(num('sessions', values.sessions!, 1, 1e6));
  const operators = Math.round(num('operators', values.operators!, 0, 5000));
  const churnRate = num('churn', values.churn!, 0, 1000);
  const windowCount = Math.round(num('windows', values.windows!, 3, 200));
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run bench:soak does)`);
  const durationMs = minutes * 60_000;
  startWatchdog('bench:soak', 120 + durationMs / 1000 * 1.25);

  const loadStart = loadAvg();
  console.log(`bench:soak  ${treeLabel()}, node ${process.version}, load average ${loadStart}`);
  console.log(`  ${minutes} min: ${rate} messages/s from ${fmtInt(sessions)} cycling senders, ${operators} operators receiving the runs' events, `
    + `${churnRate} WS connect/close per second; ${windowCount} windows`);
  const gw = await startProbedGateway(makeTempDir('clawgate-bench-soak-'), ['--run-retention-max', '2000']);
  const url = `http://${HOST}:${gw.port}/v1/gateway/messages`;
  const wsUrl = `ws://${HOST}:${gw.port}/`;
  const c: Counters = { messages: 0, messageErrors: {}, churn: 0, churnErrors: {}, framesToOperators: 0, operatorsLost: 0 };
  const held: WebSocket[] = [];
  try {
    for (let i = 0; i < operators; i++) {
      const ws = await handshake(wsUrl, { timeoutMs: 20_000, localAddress: `127.0.0.${2 + (i % 4)}`, onFrame: () => c.framesToOperators++ });
      ws.on('close', () => c.operatorsLost++);
      held.push(ws);
    }
    const start = await gw.read(true);
    console.log(`  start (operators connected)  RSS ${mib(start.rss)} MiB, live heap ${mib(start.heapUsed)} MiB`);
    console.log(`\n  ${'t (s)'.padStart(6)} ${'RSS MiB'.padStart(8)} ${'heap MiB'.padStart(9)} ${'heap total'.padStart(11)} ${'loop p99 ms'.padStart(12)} ${'loop max ms'.padStart(12)} `
      + `${'msgs'.padStart(7)} ${'churn'.padStart(6)} ${'frames'.padStart(9)} ${'CPU µs/msg'.padStart(11)}`);

    const t0 = performance.now();
    const until = t0 + durationMs;
    const http = paced(rate, until, Math.ceil(rate * minutes * 60 * 1.1), HTTP_LANES, async (i) => {
      try {
        const res = await fetch(url, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ from: `soak-${i % sessions}`, text: `soak ${i}` }), signal: AbortSignal.timeout(20_000),
        });
        await res.arrayBuffer();
        if (res.status === 200) c.messages++;
        else bump(c.messageErrors, `http ${res.status}`);
      } catch (err) {
        bump(c.messageErrors, (err as Error).name);
      }
    });
    const churn = paced(churnRate, until, Math.ceil(churnRate * minutes * 60 * 1.1), 4, async (i) => {
      try {
        const ws = await handshake(wsUrl, { timeoutMs: 20_000, localAddress: `127.0.0.${6 + (i % 4)}` });
        c.churn++;
        await closeSocket(ws);
      } catch (err) {
        bump(c.churnErrors, (err as Error).message);
      }
    });
    const windows: Window[] = [];
    const sampling = (async () => {
      let last = { messages: 0, churn: 0, frames: 0, cpu: cpuUs(gw.pid) };
      for (let w = 1; w <= windowCount; w++) {
        const wait = t0 + (w * durationMs) / windowCount - performance.now();
        if (wait > 0) await sleep(wait);
        const reading = await gw.read(true);
        const cpu = cpuUs(gw.pid);
        const win: Window = {
          atS: (performance.now() - t0) / 1000, reading, messages: c.messages - last.messages, churn: c.churn - last.churn,
          frames: c.framesToOperators - last.frames, cpuUsPerMessage: (cpu - last.cpu) / Math.max(1, c.messages - last.messages),
        };
        last = { messages: c.messages, churn: c.churn, frames: c.framesToOperators, cpu };
        windows.push(win);
        console.log(`  ${win.atS.toFixed(0).padStart(6)} ${mib(reading.rss).padStart(8)} ${mib(reading.heapUsed).padStart(9)} ${mib(reading.heapTotal).padStart(11)} `
          + `${reading.loopP99Ms.toFixed(1).padStart(12)} ${reading.loopMaxMs.toFixed(1).padStart(12)} ${fmtInt(win.messages).padStart(7)} ${fmtInt(win.churn).padStart(6)} ${fmtInt(win.frames).padStart(9)} ${fmtInt(win.cpuUsPerMessage).padStart(11)}`);
      }
    })();
    await Promise.all([http, churn, sampling]);

    const v = verdictOf(windows);
    const errors = { ...c.messageErrors, ...Object.fromEntries(Object.entries(c.churnErrors).map(([k, n]) => [`ws ${k}`, n])) };
    console.log(`\n  totals: ${fmtInt(c.messages)} messages answered 200, ${fmtInt(c.churn)} WS connect/close cycles, ${fmtInt(c.framesToOperators)} frames to the operators, `
      + `${c.operatorsLost} operators lost${Object.keys(errors).length ? `; errors ${JSON.stringify(errors)}` : ''}`);
    console.log(`  live heap, mean of the first vs last third of the ${v.compared} windows after warm-up: ${mib(v.heap.first)} → ${mib(v.heap.last)} MiB: ${v.heapOk ? 'bounded' : 'GROWING'}`);
    console.log(`  RSS,       mean of the first vs last third of the ${v.compared} windows after warm-up: ${mib(v.rss.first)} → ${mib(v.rss.last)} MiB: ${v.rssOk ? 'bounded' : 'GROWING'}`);
    const first = windows[0].reading;
    const end = windows[windows.length - 1].reading;
    console.log(`  event-loop delay p99 ${first.loopP99Ms.toFixed(1)} ms in the first window, ${end.loopP99Ms.toFixed(1)} ms in the last`);
    console.log(`  verdict: ${v.bounded ? 'nothing grows without bound' : 'GROWTH: see the table'}; load average ${loadStart} at the start, ${loadAvg()} at the end`);
    if (values.json) {
      writeFileSync(values.json, `${JSON.stringify({ minutes, rate, sessions, operators, churnRate, start, windows, counters: c, verdict: v }, null, 2)}\n`);
    }
    await Promise.all(held.map((ws) => closeSocket(ws)));
    await gw.stop();
    return values.strict && (!v.bounded || c.operatorsLost > 0) ? 1 : 0;
  } finally {
    for (const ws of held) ws.terminate();
    killAllNow();
    removeTempDirs();
  }
}

runBench('bench:soak', 'stopping the gateway', main);
