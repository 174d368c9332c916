import type { Bus, BusEvents } from '../core/bus.js';
import type { Db } from './db.js';

// One SQLite transaction per run lifecycle event: the journal, the session index and the transcript
// writes that the event's subscribers make commit together. A run then costs three commits instead of
// eight, and a crash can never leave a reply in the transcript with its journal entry still `running`
// (recover.ts handles that case anyway, for databases written before this). Nested emits inside a
// subscriber become savepoints of the same transaction.

const WRITING_EVENTS: ReadonlySet<keyof BusEvents> = new Set(['run.queued', 'run.started', 'run.completed', 'run.failed', 'run.cancelled']);

export function commitPerRunEvent(bus: Bus, db: Db): void {
  const emit = bus.emit.bind(bus) as (type: keyof BusEvents, event: unknown) => void;
  const inTransaction = db.transaction((type: keyof BusEvents, event: unknown) => emit(type, event));
  bus.emit = ((type: keyof BusEvents, event: unknown) => {
    // after close (shutdown stragglers) the subscribers' own writes fail as before; never wrap a closed db
    if (WRITING_EVENTS.has(type) && db.open) inTransaction(type, event);
    else emit(type, event);
  }) as Bus['emit'];
}
