// `npm run bench:inspect` (web-surfaces.md IT8): what the actor inspector costs the actors.
//
// In process, 2 000 session actors (the real session machine; its run never ends, so ENQUEUE starts a run
// and CANCEL stops it) and 2 000 connection actors (the real connection machine, admitted, then `health`
// requests as FRAME events) receive a fixed mix of 200 000 events, in batches of 2 000 with a turn of the
// event loop between them (so a WebSocket viewer can be written to). Four runs, five rounds:
//   (a) no hub; (b) --inspect, no viewer; (c) one viewer reading over loopback WS; (d) after it left.
// (a), (b) and (d) run at the same time, batch by batch in turn, so a noisy machine slows them alike.
// Prints each run's median events/s and its ratio to (a) of the same round. Targets: (b) and (d) ≥ 0.95 × (a);
// (c) is only reported (an attached observer roughly halves XState's throughput).
//
//   --rounds N    interleaved rounds (default 5)
//   --events N    events per run (default 200000)
//   --strict      exit 1 when a target is not met
import { performance } from 'node:perf_hooks';
import { setImmediate as turn } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { fromPromise, SimulatedClock, type AnyActorRef } from 'xstate';
import { InspectHub } from '../src/actors/inspect-hub.js';
import { ActorDirectory, createSupervisedActor } from '../src/actors/supervise.js';
import { connectionMachine, type AdmitInput, type AdmitResult } from '../src/machines/connection.js';
import { sessionMachine, type QueuedRun } from '../src/machines/session.js';
import { runBench, startWatchdog } from './lib/lifecycle.js';
import { fmt, fmtInt, loadAvg } from './lib/report.js';

const ACTORS_PER_KIND = 2_000;
const BATCH = 2_000;
const log = pino({ level: 'silent' });

const session = sessionMachine.provide({ actors: { executeRun: fromPromise<void, QueuedRun>(() => new Promise(() => {})) } });
const admitted: AdmitResult = { ok: true, admitted: { role: 'operator', scopes: ['operator.admin'], hello: {}, client: {} } };
const connection = connectionMachine.provide({ actors: { admit: fromPromise<AdmitResult, AdmitInput>(async () => admitted) } });
const CONNECT = JSON.stringify({
  type: 'req', id: 'c', method: 'connect',
  params: { minProtocol: 4, maxProtocol: 4, client: { id: 'gateway-client', version: '1.0.0', platform: 'linux', mode: 'backend' }, role: 'operator', scopes: ['operator.admin'] },
});
const HEALTH = JSON.stringify({ type: 'req', id: 'h', method: 'health' });

interface Population {
  sessions: AnyActorRef[];
  connections: AnyActorRef[];
  stop(): void;
}

async function populate(directory: ActorDirectory): Promise<Population> {
  const clock = new SimulatedClock();
  const sessions: AnyActorRef[] = [];
  const connections: AnyActorRef[] = [];
  for (let i = 0; i < ACTORS_PER_KIND; i++) {
    sessions.push(createSupervisedActor(session, { input: { sessionKey: `s${i}`, idleMs: 3_600_000 }, clock },
      { kind: 'session', id: `s${i}`, log, onFailure() {} }, directory).actor.start());
    const c = createSupervisedActor(connection, {
      input: {
        connId: `c${i}`, nonce: 'n', preauthMaxBytes: 65_536, maxPendingFrames: 15,
        peer: { remoteAddress: '127.0.0.1', local: true }, methods: new Set(['health']),
      },
      clock,
    }, { kind: 'connection', id: `c${i}`, log, onFailure() {} }, directory).actor.start();
    c.send({ type: 'FRAME', text: CONNECT, bytes: CONNECT.length });
    connections.push(c);
  }
  await turn(); // admissions settle
  await turn();
  return {
    sessions, connections,
    stop() {
      for (const a of [...sessions, ...connections]) a.stop();
    },
  };
}

/** The median of `xs`. */
function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Sends the fixed mix to one population, a batch at a time; `elapsed` is the time spent sending, in ms. */
class Driver {
  private readonly runs = new Array<string | undefined>(ACTORS_PER_KIND);
  private n = 0;
  elapsed = 0;
  /** Time of each batch, ms. */
  readonly batches: number[] = [];
  constructor(private readonly p: Population) {}

  /** Sends the next `count` events of the mix. */
  batch(count: number): void {
    const { p, runs } = this;
    const start = performance.now();
    const end = this.n + count;
    for (let n = this.n; n < end; n++) {
      const k = (n >> 1) % ACTORS_PER_KIND;
      if (n & 1) {
        p.connections[k].send({ type: 'FRAME', text: HEALTH, bytes: HEALTH.length });
      } else if (runs[k] === undefined) {
        const runId = `r${n}`;
        runs[k] = runId;
        p.sessions[k].send({ type: 'ENQUEUE', run: { runId, input: { runId, sessionKey: `s${k}`, text: 'hello', parts: [] } } });
      } else {
        p.sessions[k].send({ type: 'CANCEL', runId: runs[k] });
        runs[k] = undefined;
      }
    }
    this.n = end;
    const took = performance.now() - start;
    this.elapsed += took;
    this.batches.push(took);
  }
}

/** Sends `events` to one population; returns events per second. */
async function drive(p: Population, events: number): Promise<number> {
  const d = new Driver(p);
  for (let sent = 0; sent < events; sent += BATCH) {
    d.batch(Math.min(BATCH, events - sent));
    await turn();
  }
  return events / (d.elapsed / 1000);
}

/**
 * Sends `events` to each population, batch by batch in turn (the order rotates each cycle), so that a noisy
 * machine slows every population alike. Returns each one's events per second, and its speed relative to the
 * first population as the median over cycles of (first's batch time / its batch time): a batch that another
 * process preempted moves one cycle's ratio, not the median.
 */
async function driveInterleaved<K extends string>(pops: Record<K, Population>, events: number): Promise<{ rates: Record<K, number>; ratios: Record<K, number> }> {
  const keys = Object.keys(pops) as K[];
  const drivers = keys.map((k) => new Driver(pops[k]));
  for (let sent = 0, cycle = 0; sent < events; sent += BATCH, cycle++) {
    for (let i = 0; i < drivers.length; i++) {
      drivers[(i + cycle) % drivers.length].batch(Math.min(BATCH, events - sent));
      await turn();
    }
  }
  const base = drivers[0].batches;
  return {
    rates: Object.fromEntries(keys.map((k, i) => [k, events / (drivers[i].elapsed / 1000)])) as Record<K, number>,
    ratios: Object.fromEntries(keys.map((k, i) => [k, median(drivers[i].batches.map((t, j) => base[j] / t))])) as Record<K, number>,
  };
}

/** A loopback WS viewer: the server side is the hub's sink; the client reads and counts. */
async function loopbackViewer(hub: InspectHub): Promise<{ received: () => number; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const port = (wss.address() as { port: number }).port;
  let detach = () => {};
  wss.on('connection', (sock) => {
    detach = hub.attach({ send: (t) => sock.send(t), bufferedAmount: () => sock.bufferedAmount });
  });
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
  let received = 0;
  client.on('message', () => received++);
  await new Promise<void>((r, j) => { client.once('open', () => r()); client.once('error', j); });
  while (hub.viewerCount === 0) await turn();
  return {
    received: () => received,
    async close() {
      detach();
      client.close();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}

type RunName = 'a' | 'b' | 'c' | 'd';
const LABELS: Record<RunName, string> = {
  a: '(a) no hub', b: '(b) --inspect, no viewer', c: '(c) one viewer over loopback WS', d: '(d) after the viewer left',
};

/** Collects the previous run's garbage first (with --expose-gc), so no run pays for another's. */
async function measured(directory: ActorDirectory, events: number): Promise<number> {
  (globalThis as { gc?: () => void }).gc?.();
  const p = await populate(directory);
  const rate = await drive(p, events);
  p.stop();
  return rate;
}

/**
 * One round: (c) first, on a hub with a viewer; after the viewer left, (a), (b) and (d) run interleaved batch
 * by batch, each on its own population: (a) listed in a directory no hub watches, (b) in the directory of a
 * hub that never had a viewer, (d) in the directory of the hub whose viewer left.
 */
async function round(events: number): Promise<{ rates: Record<RunName, number>; ratios: Record<RunName, number> }> {
  const watched = new ActorDirectory();
  const hub = new InspectHub({ version: 'bench', directory: watched });
  const viewer = await loopbackViewer(hub);
  const c = await measured(watched, events);
  await viewer.close();
  const s = hub.state();
  if (s.viewers || s.watching || s.ring || s.timers) throw new Error(`the hub still holds something after the viewer left: ${JSON.stringify(s)}`);
  const unviewed = new ActorDirectory();
  new InspectHub({ version: 'bench', directory: unviewed });
  (globalThis as { gc?: () => void }).gc?.();
  const pops = { a: await populate(new ActorDirectory()), b: await populate(unviewed), d: await populate(watched) };
  const { rates, ratios } = await driveInterleaved(pops, events);
  for (const p of Object.values(pops)) p.stop();
  return { rates: { ...rates, c }, ratios: { ...ratios, c: c / rates.a } };
}


async function main(): Promise<number> {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, events: { type: 'string' }, strict: { type: 'boolean' } } });
  const rounds = Number(values.rounds ?? 5);
  const events = Number(values.events ?? 200_000);
  startWatchdog('bench:inspect', 1800);
  console.log(`bench:inspect — ${fmtInt(ACTORS_PER_KIND)} session + ${fmtInt(ACTORS_PER_KIND)} connection actors, ${fmtInt(events)} events per run, ${rounds} rounds; node ${process.version}, load ${loadAvg()}`);
  await round(Math.min(events, 20_000)); // warm-up, untimed: the JIT sees every path first
  const results: { rates: Record<RunName, number>; ratios: Record<RunName, number> }[] = [];
  const names = Object.keys(LABELS) as RunName[];
  for (let r = 0; r < rounds; r++) {
    const res = await round(events);
    results.push(res);
    console.log(`  round ${r + 1}: ${names.map((k) => `${k} ${fmtInt(res.rates[k])}/s (${fmt(res.ratios[k], 3)}×)`).join(', ')}`);
  }
  console.log('\nmedians over rounds (events/s; ratio to (a): per round the median over batch cycles, (c) from totals)');
  const ratios: Record<RunName, number> = { a: 1, b: 0, c: 0, d: 0 };
  for (const k of names) {
    ratios[k] = median(results.map((r) => r.ratios[k]));
    console.log(`  ${LABELS[k].padEnd(34)} ${fmtInt(median(results.map((r) => r.rates[k]))).padStart(12)}/s   ${fmt(ratios[k], 3)}×`);
  }
  const met = { b: ratios.b >= 0.95, d: ratios.d >= 0.95 };
  console.log('\ntargets');
  console.log(`  (b) ≥ 0.95 × (a)   ${met.b ? 'MET' : 'NOT MET'}  ${fmt(ratios.b, 3)}×`);
  console.log(`  (d) ≥ 0.95 × (a)   ${met.d ? 'MET' : 'NOT MET'}  ${fmt(ratios.d, 3)}×`);
  console.log(`  (c) reported only  ${fmt(ratios.c, 3)}×`);
  return values.strict && !(met.b && met.d) ? 1 : 0;
}

runBench('bench:inspect', 'stopping', main);
