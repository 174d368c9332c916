import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { BUS_EVENT_KINDS, type Bus } from '../core/bus.js';
import type { ClusterStatus } from '../core/cluster-status.js';

// The gateway's Prometheus metrics. One Registry per gateway (never prom-client's global one), so several
// gateways in one process (tests, embedders) keep their own counts. Runs and bus events are counted from
// the bus as they happen; gauges (sessions, queue, connections) and the WS hub's running counts are read
// at scrape time, so nothing is kept up to date between scrapes.

const BUS_KINDS = BUS_EVENT_KINDS;

/** What the collector reads at scrape time. */
export interface MetricsSources {
  bus: Bus;
  sessions: { readonly size: number; queueDepth(): number };
  /** The WS hub, once the control plane has loaded. */
  hub: () => HubReadings | undefined;
  /** Cluster mode: this instance (an info gauge labels the scrape with its id) and its NATS connection. */
  cluster?: ClusterStatus;
}

/** The parts of the WS connection hub the metrics read. */
export interface HubReadings {
  readonly size: number;
  readonly authenticatedCount: number;
  readonly stats: { handshakesOk: number; handshakesFailed: number; droppedFrames: number };
}

/** A scrape: the Prometheus text and its content type. */
export interface Scrape {
  contentType: string;
  body: string;
}

/** Seconds buckets of a run (mock runs take ms, model runs tens of seconds). */
const RUN_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** Seconds buckets of one journal commit (SQLite WAL: tens of µs; fsync: ms). */
const COMMIT_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** A counter whose value lives elsewhere (a running count): advanced by the difference at each scrape. */
function mirrorCounter(registry: Registry, name: string, help: string, labelNames: string[],
  read: () => Array<[Record<string, string>, number]> | undefined) {
  const seen = new Map<string, number>();
  return new Counter({
    name, help, labelNames, registers: [registry],
    collect() {
      for (const [labels, value] of read() ?? []) {
        const key = JSON.stringify(labels);
        const delta = value - (seen.get(key) ?? 0);
        if (delta > 0) this.inc(labels, delta);
        seen.set(key, value);
      }
    },
  });
}

/** The metrics of one gateway: create it first (the run ledger reports commits to it), then attach the sources. */
export class GatewayMetrics {
  /** This gateway's registry (default process metrics included). */
  readonly registry = new Registry();
  private readonly journalCommit = new Histogram({
    name: 'clawgate_journal_commit_seconds', help: 'Time to commit one run-journal step to SQLite, by step.',
    labelNames: ['step'], buckets: COMMIT_BUCKETS, registers: [this.registry],
  });
  private sources: MetricsSources | undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** The run ledger's `observe` hook: one committed journal step and its duration in seconds. */
  readonly observeJournal = (step: string, seconds: number): void => {
    this.journalCommit.observe({ step }, seconds);
  };

  /** Starts counting from the bus and reading the registries; returns the function that stops it. */
  attach(sources: MetricsSources): () => void {
    this.sources = sources;
    const r = this.registry;
    const runs = new Counter({ name: 'clawgate_runs_total', help: 'Runs finished, by outcome.', labelNames: ['outcome'], registers: [r] });
    const duration = new Histogram({
      name: 'clawgate_run_duration_seconds', help: 'Time from a run\'s start to its end, by outcome (runs that started).',
      labelNames: ['outcome'], buckets: RUN_BUCKETS, registers: [r],
    });
    const events = new Counter({ name: 'clawgate_bus_events_total', help: 'Events published on the in-process bus, by kind.', labelNames: ['kind'], registers: [r] });
    const read = () => this.sources;
    new Gauge({ name: 'clawgate_sessions_live', help: 'Session actors alive.', registers: [r], collect() { this.set(read()?.sessions.size ?? 0); } });
    new Gauge({ name: 'clawgate_queue_depth', help: 'Messages waiting behind a running run, in every session.', registers: [r], collect() { this.set(read()?.sessions.queueDepth() ?? 0); } });
    new Gauge({
      name: 'clawgate_ws_connections', help: 'Open WebSocket connections, by state (open = every socket, authenticated = past the handshake).',
      labelNames: ['state'], registers: [r],
      collect() {
        const hub = read()?.hub();
        this.set({ state: 'open' }, hub?.size ?? 0);
        this.set({ state: 'authenticated' }, hub?.authenticatedCount ?? 0);
      },
    });
    const hubStats = () => read()?.hub()?.stats;
    mirrorCounter(r, 'clawgate_ws_handshakes_total', 'WebSocket handshakes, by result.', ['result'], () => {
      const s = hubStats();
      return s && [[{ result: 'ok' }, s.handshakesOk], [{ result: 'failed' }, s.handshakesFailed]];
    });
    mirrorCounter(r, 'clawgate_ws_dropped_frames_total', 'Frames not sent because the client read too slowly (slow consumer).', [], () => {
      const s = hubStats();
      return s && [[{}, s.droppedFrames]];
    });
    for (const outcome of ['completed', 'failed', 'cancelled']) runs.labels({ outcome }).inc(0);
    if (sources.cluster) {
      // the counts above are this instance's: the info gauge says which instance a scrape came from
      new Gauge({ name: 'clawgate_cluster_instance_info', help: 'Cluster mode: this gateway\'s instance id (value always 1).', labelNames: ['instance_id'], registers: [r] })
        .set({ instance_id: sources.cluster.instanceId }, 1);
      new Gauge({
        name: 'clawgate_nats_connected', help: 'Cluster mode: 1 while the NATS connection is up, 0 while it is being retried.', registers: [r],
        collect() { this.set(read()?.cluster?.nats === 'connected' ? 1 : 0); },
      });
    }

    const startedAt = new Map<string, number>();
    const finished = (outcome: string) => (e: { runId: string; at: number }) => {
      runs.labels({ outcome }).inc();
      const t0 = startedAt.get(e.runId);
      startedAt.delete(e.runId);
      if (t0 !== undefined) duration.labels({ outcome }).observe(Math.max(0, e.at - t0) / 1000);
    };
    const stops = [
      ...BUS_KINDS.map((kind) => {
        const counter = events.labels({ kind });
        return sources.bus.subscribe(kind, () => counter.inc());
      }),
      sources.bus.subscribe('run.started', (e) => startedAt.set(e.runId, e.at)),
      sources.bus.subscribe('run.completed', finished('completed')),
      sources.bus.subscribe('run.failed', finished('failed')),
      sources.bus.subscribe('run.cancelled', finished('cancelled')),
    ];
    return () => {
      for (const stop of stops) stop();
      this.sources = undefined;
    };
  }

  /** The Prometheus text exposition of every metric. */
  async scrape(): Promise<Scrape> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
