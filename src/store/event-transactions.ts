import { createBus, type Bus, type BusEvents } from '../core/bus.js';
import type { Db } from './db.js';
import type { StorageHealth } from './storage-health.js';

// One SQLite transaction per run lifecycle event: the journal, the session index and the transcript
// writes that the event's writers make commit together. A run then costs three commits instead of
// eight, and a crash can never leave a reply in the transcript with its journal entry still `running`
// (recover.ts handles that case anyway, for databases written before this). Nested emits inside a
// writer become savepoints of the same transaction.
//
// Write first, then tell: the writers subscribe to the returned bus and run inside the transaction; only
// once it has committed do the bus's own subscribers (run records, sockets, streams) see the event, and
// whatever the writers emitted meanwhile (`session.message`) follows it out. So nothing in memory or on
// the wire ever reflects a write that did not commit. When the writes fail, the event is not delivered and
// emit() throws (a disk failure as StorageUnavailable) — except for the events that end a run (failed,
// cancelled): a run must always end, so those are delivered anyway and the journal keeps its last state.

const WRITING_EVENTS: ReadonlySet<keyof BusEvents> = new Set(['run.queued', 'run.started', 'run.completed', 'run.failed', 'run.cancelled']);
const ENDING_ANYWAY: ReadonlySet<keyof BusEvents> = new Set(['run.failed', 'run.cancelled']);

type Emit = (type: keyof BusEvents, event: unknown) => void;

/** Wraps `bus.emit`; returns the writers' bus (subscribe the journal and the transcript recorder there). */
export function commitPerRunEvent(bus: Bus, db: Db, storage?: StorageHealth): Bus {
  const writers = createBus();
  const emit = bus.emit.bind(bus) as Emit;
  const write = writers.emit.bind(writers) as Emit;
  const inTransaction = db.transaction((type: keyof BusEvents, event: unknown) => write(type, event));
  let depth = 0;
  /** Events to deliver once the outermost transaction has committed. */
  let held: [keyof BusEvents, unknown][] = [];
  bus.emit = ((type: keyof BusEvents, event: unknown) => {
    if (!WRITING_EVENTS.has(type)) {
      if (depth > 0) held.push([type, event]);
      else emit(type, event);
      return;
    }
    // after close (shutdown stragglers) nothing can be written: the event still reaches memory
    if (!db.open) return emit(type, event);
    const mark = held.length;
    let failed = false;
    depth++;
    try {
      inTransaction(type, event);
    } catch (err) {
      held.length = mark; // what the rolled-back writes announced never happened
      const unavailable = storage?.failed(err, type);
      if (!unavailable || !ENDING_ANYWAY.has(type)) throw unavailable ?? err;
      failed = true;
    } finally {
      depth--;
    }
    if (!failed) storage?.succeeded();
    if (depth > 0) {
      held.push([type, event]);
      return;
    }
    const out = held;
    held = [];
    for (const [t, e] of out) emit(t, e);
    emit(type, event);
  }) as Bus['emit'];
  return writers;
}
