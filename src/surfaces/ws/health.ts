import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

// The health snapshot (openclaw-protocol.md §7.3 `health`), refreshed on a timer; each refresh bumps the
// health version. Event-loop figures come from perf_hooks, so a stalled loop shows up here.

/** Where the health snapshot reads sessions and the state dir. */
export interface HealthSources {
  sessionCount: () => number;
  /** The most recently updated sessions, newest first. */
  recentSessions: () => { key: string; updatedAt: number }[];
  stateDir: string;
  /** Per channel: configured, running, connected (absent: no channel layer). */
  channels?: () => Record<string, { configured: boolean; running: boolean; connected: boolean }>;
}

/** The versioned health snapshot sent in hello-ok and the `health` event and method. */
export class Health {
  version = 1;
  private snapshot: Record<string, unknown>;
  private readonly delay = monitorEventLoopDelay({ resolution: 20 });
  private elu = performance.eventLoopUtilization();

  constructor(private readonly sources: HealthSources) {
    this.delay.enable();
    this.snapshot = this.build(0);
  }

  current(): Record<string, unknown> {
    return this.snapshot;
  }

  refresh(): Record<string, unknown> {
    const started = performance.now();
    this.version++;
    this.snapshot = this.build(performance.now() - started);
    return this.snapshot;
  }

  stop(): void {
    this.delay.disable();
  }

  /** Event-loop figures, also used by /readyz and `status`. */
  eventLoop(intervalMs: number): Record<string, unknown> {
    const now = performance.eventLoopUtilization();
    const used = performance.eventLoopUtilization(now, this.elu);
    this.elu = now;
    const p99 = this.delay.percentile(99) / 1e6;
    const max = this.delay.max / 1e6;
    this.delay.reset();
    const degraded = p99 > 1000;
    return {
      degraded, reasons: degraded ? ['event_loop_delay'] : [], intervalMs,
      delayP99Ms: round(p99), delayMaxMs: round(max), utilization: round(used.utilization), cpuCoreRatio: round(used.utilization),
    };
  }

  /** The per-channel summary of channels.status, in its order (only channels with an account). */
  private channels(): Record<string, unknown> {
    const channels = this.sources.channels?.() ?? {};
    const channelOrder = Object.keys(CHANNEL_LABELS).filter((c) => Object.hasOwn(channels, c));
    return { channels, channelOrder, channelLabels: Object.fromEntries(channelOrder.map((c) => [c, CHANNEL_LABELS[c]])) };
  }

  private build(durationMs: number): Record<string, unknown> {
    const now = Date.now();
    // recent entries are closed {key, updatedAt, age} in the published HealthSnapshot
    const recent = this.sources.recentSessions().map((r) => ({ key: r.key, updatedAt: r.updatedAt, age: Math.max(0, now - r.updatedAt) }));
    const sessions = { path: this.sources.stateDir, count: this.sources.sessionCount(), recent };
    return {
      ok: true, ts: now, durationMs: Math.round(durationMs),
      ...this.channels(),
      heartbeatSeconds: 0, defaultAgentId: 'main',
      // `heartbeat` is required per agent in the published schema; Clawgate runs no heartbeats
      agents: [{ agentId: 'main', isDefault: true, heartbeat: HEARTBEAT_OFF, sessions }],
      sessions,
      eventLoop: this.eventLoop(60_000),
    };
  }
}

const CHANNEL_LABELS: Record<string, string> = { telegram: 'Telegram', whatsapp: 'WhatsApp', signal: 'Signal' };

const HEARTBEAT_OFF = { enabled: false, every: 'disabled', everyMs: null, prompt: '', target: 'none', ackMaxChars: 0 };

const round = (n: number) => Math.round(n * 1000) / 1000;
