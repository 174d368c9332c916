import { field, type Kind, kindOfName, stateText, type StreamFrame, text } from './frames.js';

// What the page knows of the live actors, built from the stream in order (web-surfaces.md I4, I5): one record
// per actor (roots and their children), its latest sanitized snapshot, its last 50 events, the last 50
// messages to and from it, and the counters the tables show. History comes before the synthesized
// `@xstate.actor` frames, so applying every frame in order ends with the current state.

/** Events and messages kept per actor. */
export const KEEP = 50;
/** Ended children kept (for their names in message lists) before they are forgotten. */
const RETIRED = 100;

/** One event an actor received. */
export interface EventEntry {
  at: number;
  type: string;
  /** The sanitized event as JSON text. */
  json: string;
}

/** One message between actors: `source → target: type`. */
export interface MessageEntry {
  at: number;
  source: string;
  target: string;
  type: string;
}

/** One actor as the page knows it. */
export interface ActorRecord {
  sessionId: string;
  name: string;
  /** The tab it is shown on; undefined for children (shown in their root's detail only). */
  kind?: Kind;
  rootId?: string;
  parentId?: string;
  /** The machine config as JSON text (from `@xstate.actor`). */
  definition?: string;
  snapshot: unknown;
  /** The latest `@clawgate.vitals` view, if any. */
  view?: unknown;
  firstSeen: number;
  /** The state text, and when it was entered. */
  state: string;
  stateSince: number;
  lastEvent: string;
  runsDone: number;
  runsFailed: number;
  events: EventEntry[];
  messages: MessageEntry[];
  stopped: boolean;
  /** Bumped at every change of this record (the detail pane re-renders only then). */
  version: number;
}

/** The latest `@clawgate.stats` values. */
export interface Stats {
  actors: Partial<Record<Kind, number>>;
  eventsPerSec: number;
  dropped: number;
  heapUsedBytes: number;
  eventLoopDelayP99Ms: number;
}

const at = (f: StreamFrame) => {
  const n = Number(f.createdAt);
  return Number.isFinite(n) ? n : Date.now();
};

function push<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > KEEP) list.splice(0, list.length - KEEP);
}

/** The actors and stats, updated frame by frame. */
export class ActorStore {
  readonly actors = new Map<string, ActorRecord>();
  stats: Stats | undefined;
  /** Frames applied since the page opened (counted while paused too). */
  frames = 0;
  /** Whether the join burst is over (`@clawgate.live` seen). */
  live = false;
  /** Bumped when an actor is added or removed. */
  generation = 0;
  private retired: string[] = [];

  /** Applies one frame; returns whether anything shown may have changed. */
  apply(f: StreamFrame): boolean {
    this.frames++;
    switch (f.type) {
      case '@clawgate.hello':
        // a new stream (after a reconnect): its burst replays what is needed, and actors gone meanwhile go
        this.live = false;
        this.actors.clear();
        this.retired = [];
        this.generation++;
        return true;
      case '@clawgate.live':
        this.live = true;
        return true;
      case '@clawgate.stats':
        this.stats = {
          actors: f.actors ?? {}, eventsPerSec: f.eventsPerSec ?? 0, dropped: f.dropped ?? 0,
          heapUsedBytes: f.heapUsedBytes ?? 0, eventLoopDelayP99Ms: f.eventLoopDelayP99Ms ?? 0,
        };
        return true;
      case '@xstate.actor':
        return this.actor(f);
      case '@xstate.snapshot':
        return this.snapshot(f);
      case '@xstate.event':
        return this.event(f);
      case '@clawgate.vitals': {
        const rec = f.sessionId ? this.actors.get(f.sessionId) : undefined;
        if (rec) {
          rec.view = f.view;
          rec.version++;
        }
        return rec !== undefined;
      }
      case '@clawgate.stopped':
        return f.sessionId ? this.stop(f.sessionId) : false;
      default:
        return false;
    }
  }

  /** Empties every actor's event and message lists (the "Clear" button). */
  clearEvents(): void {
    for (const rec of this.actors.values()) {
      rec.events = [];
      rec.messages = [];
      rec.version++;
    }
  }

  /** The shown actors of one kind (roots only), oldest first. */
  ofKind(kind: Kind): ActorRecord[] {
    return [...this.actors.values()].filter((r) => r.kind === kind && !r.stopped);
  }

  /** A readable name for a session id: the actor's name when known. */
  nameOf(sessionId: string | undefined): string {
    if (!sessionId) return '(outside)';
    return this.actors.get(sessionId)?.name ?? sessionId;
  }

  private actor(f: StreamFrame): boolean {
    if (!f.sessionId) return false;
    const name = typeof f.name === 'string' ? f.name : f.sessionId;
    const isRoot = f.rootId === undefined || f.rootId === f.sessionId;
    const state = stateText(field(f.snapshot, 'value'));
    const old = this.actors.get(f.sessionId);
    const rec: ActorRecord = old ?? {
      sessionId: f.sessionId, name, firstSeen: at(f), snapshot: undefined, state, stateSince: at(f), lastEvent: '',
      runsDone: 0, runsFailed: 0, events: [], messages: [], stopped: false, version: 0,
    };
    if (!old) this.generation++;
    rec.name = name;
    rec.kind = isRoot ? kindOfName(name) : undefined;
    rec.rootId = f.rootId;
    rec.parentId = f.parentId;
    if (typeof f.definition === 'string') rec.definition = f.definition;
    rec.stopped = false;
    this.setSnapshot(rec, f.snapshot, at(f));
    this.actors.set(f.sessionId, rec);
    return true;
  }

  private snapshot(f: StreamFrame): boolean {
    const rec = f.sessionId ? this.actors.get(f.sessionId) : undefined;
    if (!rec) return false;
    this.setSnapshot(rec, f.snapshot, at(f));
    // a child that reached its end is gone from its parent's view; the last ones are kept for their names
    const status = text(f.snapshot, 'status');
    if (rec.kind === undefined && !rec.stopped && (status === 'done' || status === 'error' || status === 'stopped')) this.retire(rec);
    return true;
  }

  private retire(rec: ActorRecord): void {
    rec.stopped = true;
    this.generation++;
    this.retired.push(rec.sessionId);
    if (this.retired.length > RETIRED) this.actors.delete(this.retired.shift()!);
  }

  private setSnapshot(rec: ActorRecord, snapshot: unknown, when: number): void {
    rec.snapshot = snapshot;
    rec.version++;
    const state = stateText(field(snapshot, 'value'));
    if (state !== rec.state) {
      rec.state = state;
      rec.stateSince = when;
    }
  }

  private event(f: StreamFrame): boolean {
    const type = text(f.event, 'type');
    const when = at(f);
    const target = f.sessionId ? this.actors.get(f.sessionId) : undefined;
    const message: MessageEntry = { at: when, source: this.nameOf(f.sourceId), target: this.nameOf(f.sessionId), type };
    if (target) {
      target.lastEvent = type;
      if (type.startsWith('xstate.done.actor.')) target.runsDone++;
      if (type.startsWith('xstate.error.actor.')) target.runsFailed++;
      push(target.events, { at: when, type, json: JSON.stringify(f.event) ?? '' });
      push(target.messages, message);
      target.version++;
    }
    const source = f.sourceId && f.sourceId !== f.sessionId ? this.actors.get(f.sourceId) : undefined;
    if (source) {
      push(source.messages, message);
      source.version++;
    }
    return target !== undefined || source !== undefined;
  }

  private stop(sessionId: string): boolean {
    let changed = false;
    for (const rec of this.actors.values()) {
      if (rec.sessionId === sessionId || rec.rootId === sessionId) {
        this.actors.delete(rec.sessionId);
        changed = true;
      }
    }
    if (changed) this.generation++;
    return changed;
  }
}
