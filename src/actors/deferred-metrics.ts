import { BUS_EVENT_KINDS, type Bus, type BusEventName, type BusEvents, type BusHandler } from '../core/bus.js';
import type { GatewayMetrics, MetricsSources, Scrape } from './metrics.js';

// The gateway's metrics with prom-client loaded after start (it is the largest import of a start: ~100 ms of
// CPU here, a quarter of the gateway's own load time) instead of before. Until it is loaded, what the metrics
// count is kept as it happens, in arrival order: every bus event and journal commit; once loaded, they are
// replayed into GatewayMetrics exactly as if it had been there from the start, and it takes over. The gateway
// calls load() right after `gateway ready`; a scrape that comes earlier waits for it. Only prom-client's
// default process metrics (GC, event-loop lag) start at the load, not at the process start.

/** What GatewayMetrics may subscribe to: every bus event kind. */
const BUS_KINDS = BUS_EVENT_KINDS;

/** Events kept before the load at most (the load follows the start within milliseconds; this only bounds it). */
const MAX_KEPT = 100_000;

type Kept = { kind: BusEventName; event: unknown } | { journal: [step: string, seconds: number] };

/** {@link GatewayMetrics}, created on {@link DeferredMetrics.load}; what happens before is replayed into it. */
export class DeferredMetrics {
  private kept: Kept[] = [];
  private dropped = 0;
  private metrics: GatewayMetrics | undefined;
  private loading: Promise<GatewayMetrics> | undefined;
  private sources: MetricsSources | undefined;
  private stopKeeping: (() => void) | undefined;
  private stopAttached: (() => void) | undefined;

  /** The run ledger's `observe` hook (see GatewayMetrics.observeJournal). */
  readonly observeJournal = (step: string, seconds: number): void => {
    if (this.metrics) this.metrics.observeJournal(step, seconds);
    else this.keep({ journal: [step, seconds] });
  };

  /** Starts counting from the bus (kept until the load); returns the function that stops it. */
  attach(sources: MetricsSources): () => void {
    this.sources = sources;
    const stops = BUS_KINDS.map((kind) => sources.bus.subscribe(kind, (event) => this.keep({ kind, event })));
    this.stopKeeping = () => {
      for (const stop of stops) stop();
      this.stopKeeping = undefined;
    };
    return () => {
      this.stopKeeping?.();
      this.stopAttached?.();
      this.sources = undefined;
    };
  }

  /** Loads prom-client and GatewayMetrics (once), replays what was kept and hands over to it. */
  load(): Promise<GatewayMetrics> {
    this.loading ??= import('./metrics.js').then(({ GatewayMetrics }) => {
      const metrics = new GatewayMetrics();
      const kept = this.kept;
      this.kept = [];
      if (this.sources) {
        // each subscription of GatewayMetrics first sees the kept events of its kind, in order: it subscribes
        // `run.started` before the run ends, so a replayed run's duration is measured as it was live
        const bus = this.sources.bus;
        const replaying: Bus = {
          publish: (type, event) => bus.publish(type, event),
          subscribe: <K extends BusEventName>(type: K, handler: BusHandler<K>) => {
            for (const k of kept) if ('kind' in k && k.kind === type) handler(k.event as BusEvents[K]);
            return bus.subscribe(type, handler);
          },
          subscribeCluster: (type, handler) => bus.subscribeCluster(type, handler),
        };
        this.stopKeeping?.();
        this.stopAttached = metrics.attach({ ...this.sources, bus: replaying });
      }
      for (const k of kept) if ('journal' in k) metrics.observeJournal(...k.journal);
      this.metrics = metrics;
      return metrics;
    });
    return this.loading;
  }

  /** The Prometheus text exposition (loads the metrics first if need be). */
  async scrape(): Promise<Scrape> {
    return (await this.load()).scrape();
  }

  /** Events that did not fit before the load (0 unless the load was held up for a long time). */
  get droppedBeforeLoad(): number {
    return this.dropped;
  }

  private keep(k: Kept): void {
    if (this.kept.length < MAX_KEPT) this.kept.push(k);
    else this.dropped += 1;
  }
}
