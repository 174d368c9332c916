import type { Bus } from '../../src/core/bus.js';
import { RunLifecycle, type RunRecorder } from '../../src/actors/run-lifecycle.js';

// For unit tests of the actors without a database: a ledger that records nothing, so the lifecycle only
// publishes. Tests of recording use the real RunLedger on a temp SQLite file.

/** Records nothing. */
export const NO_LEDGER: RunRecorder = {
  accepted() {},
  started: () => undefined,
  checkpoint() {},
  completed: () => undefined,
  failed() {},
  cancelled() {},
};

/** A lifecycle over `bus` that records nothing. */
export function unrecordedLifecycle(bus: Bus): RunLifecycle {
  return new RunLifecycle({ bus, ledger: NO_LEDGER });
}
