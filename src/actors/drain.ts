import type { Bus } from '../core/bus.js';
import type { Logger } from '../core/log.js';
import type { RunLifecycle } from './run-lifecycle.js';
import type { RunRegistry } from './run-registry.js';
import type { SessionRegistry } from './session-registry.js';

// The run side of a graceful stop (the caller has already stopped admitting new messages). Messages that
// never started are dropped from their sessions but stay journaled `queued`: the next start runs them. Running
// runs may finish for up to `graceMs`; whatever still runs then is cancelled and recorded `cancelled` with the
// reason `shutdown`, so the next start does not run it again.

/** What draining works with. */
export interface DrainDeps {
  bus: Bus;
  runs: RunRegistry;
  sessions: SessionRegistry;
  lifecycle: RunLifecycle;
  log: Logger;
  /** How long running runs may go on; 0 cancels them at once. */
  graceMs: number;
}

/** Drains the runs as the file comment says; resolves once no run is live (every session stopped). */
export async function drainRuns(d: DrainDeps): Promise<void> {
  d.lifecycle.beginShutdown();
  d.sessions.dropQueued();
  const running = d.runs.liveCount;
  if (running > 0 && d.graceMs > 0) {
    d.log.info({ running, graceMs: d.graceMs }, 'waiting for running runs to finish');
    await settled(d.bus, d.runs, d.graceMs);
  }
  const left = d.runs.liveCount;
  if (left > 0) d.log.warn({ cancelled: left, graceMs: d.graceMs }, 'runs still running after the grace period are cancelled (recorded: shutdown)');
  d.sessions.stopAll();
}

/** Resolves when no run is live, or after `graceMs`. */
function settled(bus: Bus, runs: RunRegistry, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    // the run registry subscribed first, so liveCount is up to date when these run
    const check = () => { if (runs.liveCount === 0) done(); };
    const stops = [bus.subscribe('run.completed', check), bus.subscribe('run.failed', check), bus.subscribe('run.cancelled', check)];
    const timer = setTimeout(() => done(), graceMs);
    function done() {
      clearTimeout(timer);
      for (const s of stops) s();
      resolve();
    }
    check();
  });
}
