import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { actorDirectory, type ActorDirectory, type ActorKind, type LiveActor } from './supervise.js';
import { actorFrame, childrenOf, frameOf, type InspectFrame } from './inspect-frames.js';
import { sanitize } from './inspect-sanitize.js';

// The actor inspector's hub (web-surfaces.md I1, I2, I4): the one owner of the viewers of the live actors.
//
// Cost by state: with no viewer the hub only exists (the ActorDirectory keeps the set of live roots anyway):
// no observer is attached to any actor, nothing is serialized, no timer runs. The first viewer attaches one
// inspection observer per live root (and per root listed while viewers exist); the last one to leave
// detaches them all, stops the timers and drops the replay ring.
//
// Each inspection event is serialized once, synchronously (the session machine updates its queue in
// place: serializing later would show newer state under an older event), and written to every viewer.
// An actor never waits on a viewer: a viewer with more than 1 MiB buffered loses live frames, counted in its
// `dropped`. A joining viewer's burst (hello, replay, one `@xstate.actor` per live actor, `@clawgate.live`)
// is paced by its buffer instead, never dropped; live frames about an actor whose synthesized frame is still
// to be written are skipped (that frame supersedes them), the others wait for the end of the burst.

/** Where the hub writes one viewer's frames: a WebSocket, or anything in process. */
export interface ViewerSink {
  send(text: string): void;
  /** Bytes queued for the viewer and not yet written. */
  bufferedAmount(): number;
}

/** The timers the hub uses (tests inject fakes). */
export interface HubTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** How an inspect hub is built. */
export interface InspectHubOptions {
  /** The gateway's version, in `@clawgate.hello`. */
  version: string;
  /** The live root actors (default: the process's directory). */
  directory?: ActorDirectory;
  now?: () => number;
  timers?: HubTimers;
  /** Above this many buffered bytes a viewer's live frames are dropped (1 MiB). */
  maxBufferedBytes?: number;
  /** Frames kept for a joining viewer while some viewer is attached (500). */
  replayFrames?: number;
  /** `@clawgate.stats` period (1 s). */
  statsEveryMs?: number;
}

/** What the hub is holding right now (tests assert the zero-cost states with it). */
export interface HubState {
  viewers: number;
  /** Inspection observers attached through the directory (0 or 1 listener, on every live root). */
  watching: boolean;
  /** Frames in the replay ring. */
  ring: number;
  /** Timers running (the stats interval, a burst's pacing timer). */
  timers: number;
}

/** An actor whose `@xstate.actor` frame a burst builds when it writes it. */
interface Synthesized {
  ref: AnyActorRef;
  rootId: string;
}

interface Viewer {
  sink: ViewerSink;
  dropped: number;
  /** What is left of the join burst: frames, or actors whose frame is built when it is written. */
  burst: (string | Synthesized)[] | null;
  next: number;
  /** Frames replayed from the ring. */
  replayed: number;
  /** Session ids whose synthesized frame is not written yet. */
  awaiting: Set<string>;
  /** Live frames that arrived during the burst, for after it. */
  backlog: string[];
  backlogBytes: number;
  pacer?: unknown;
}

const SYSTEM_TIMERS: HubTimers = {
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** How often a paused burst looks at its viewer's buffer again. */
const PACE_MS = 5;

/** The inspector's hub; see the file comment. */
export class InspectHub {
  private readonly directory: ActorDirectory;
  private readonly now: () => number;
  private readonly timers: HubTimers;
  private readonly maxBuffered: number;
  private readonly replayFrames: number;
  private readonly statsEveryMs: number;
  private readonly viewers = new Set<Viewer>();
  private ring: string[] = [];
  private ringStart = 0;
  private stopWatching?: () => void;
  private statsTimer?: unknown;
  private loopDelay?: IntervalHistogram;
  private events = 0;
  /** Children announced before they had a snapshot (see observe). */
  private unborn: InspectionEvent[] = [];
  /** The last `@clawgate.vitals` view sent per listed actor (JSON) by session id, to send only changes (a
   *  passivated actor's stand-in is a new object at each listing, its session id is not). */
  private vitalsSent = new Map<string, string>();

  constructor(private readonly opts: InspectHubOptions) {
    this.directory = opts.directory ?? actorDirectory;
    this.now = opts.now ?? Date.now;
    this.timers = opts.timers ?? SYSTEM_TIMERS;
    this.maxBuffered = opts.maxBufferedBytes ?? 1024 * 1024;
    this.replayFrames = opts.replayFrames ?? 500;
    this.statsEveryMs = opts.statsEveryMs ?? 1000;
  }

  /** Viewers attached now. */
  get viewerCount(): number {
    return this.viewers.size;
  }

  /** See {@link HubState}. */
  state(): HubState {
    let timers = this.statsTimer === undefined ? 0 : 1;
    for (const v of this.viewers) if (v.pacer !== undefined) timers++;
    return { viewers: this.viewers.size, watching: this.stopWatching !== undefined, ring: this.ring.length, timers };
  }

  /** A viewer joins: it gets its burst, then live frames, until the returned function detaches it. */
  attach(sink: ViewerSink): () => void {
    if (this.viewers.size === 0) this.startWatching();
    this.vitalsSent.clear(); // the next tick sends every actor's view again, for the newcomer
    const actors: Synthesized[] = [];
    for (const { actor } of this.directory.list()) collect(actor, actor.sessionId, actors);
    const replay = this.replay();
    const viewer: Viewer = {
      sink, dropped: 0, burst: null, next: 0, replayed: replay.length, awaiting: new Set(), backlog: [], backlogBytes: 0,
    };
    const hello = this.encode({ type: '@clawgate.hello', createdAt: String(this.now()), version: this.opts.version, replayed: replay.length });
    viewer.burst = [hello, ...replay, ...actors];
    for (const a of actors) viewer.awaiting.add(a.ref.sessionId);
    this.viewers.add(viewer);
    this.pump(viewer);
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      this.detach(viewer);
    };
  }

  private detach(viewer: Viewer): void {
    if (viewer.pacer !== undefined) this.timers.clearTimeout(viewer.pacer);
    viewer.pacer = undefined;
    viewer.burst = null;
    viewer.backlog = [];
    this.viewers.delete(viewer);
    if (this.viewers.size === 0) this.stopAll();
  }

  private startWatching(): void {
    // the inspector must never fail an actor: whatever goes wrong while showing it is only not shown
    this.stopWatching = this.directory.inspect((e) => shielded(() => this.observe(e)), {
      added: (entry) => shielded(() => this.rootAdded(entry)),
      // a passivated actor is still listed (as a stand-in): its row stays, its vitals say `passivated`
      removed: (entry, passivated) => passivated || shielded(() => this.publish(entry.actor.sessionId, this.encode({
        type: '@clawgate.stopped', createdAt: String(this.now()), sessionId: entry.actor.sessionId,
      }), true)),
    });
    this.statsTimer = this.timers.setInterval(() => this.stats(), this.statsEveryMs);
    try {
      this.loopDelay = monitorEventLoopDelay({ resolution: 20 });
      this.loopDelay.enable();
    } catch {
      this.loopDelay = undefined;
    }
  }

  private stopAll(): void {
    this.stopWatching?.();
    this.stopWatching = undefined;
    if (this.statsTimer !== undefined) this.timers.clearInterval(this.statsTimer);
    this.statsTimer = undefined;
    this.loopDelay?.disable();
    this.loopDelay = undefined;
    this.ring = [];
    this.ringStart = 0;
    this.events = 0;
    this.vitalsSent.clear();
    this.unborn = [];
  }

  /** XState's own `@xstate.actor` for a root never reaches an observer (it is sent in the constructor,
   *  before the directory lists the actor): the hub writes it, with the snapshot of that moment. */
  private rootAdded(entry: LiveActor): void {
    const ref = entry.actor;
    this.publish(ref.sessionId, this.encode(actorFrame(ref, ref.sessionId, this.now())), false);
  }

  private observe(e: InspectionEvent): void {
    this.events++;
    if (this.unborn.length > 0) this.bornChildren();
    // a root's @xstate.actor frame is written by the hub (rootAdded); a child's comes from XState
    if (e.type === '@xstate.actor' && e.rootId === e.actorRef.sessionId) return;
    // XState announces a child from its constructor, before it has a snapshot: its frame is written at the
    // next inspection event (or microtask), when it has one (as Stately's deferred conversion sees it)
    if (e.type === '@xstate.actor' && e.actorRef.getSnapshot() === undefined) {
      if (this.unborn.push(e) === 1) queueMicrotask(() => shielded(() => this.bornChildren()));
      return;
    }
    const frame = frameOf(e, this.now());
    if (frame) this.publish(e.actorRef.sessionId, this.encode(frame), false);
  }

  /** Writes the `@xstate.actor` frames of the children announced before they had a snapshot. */
  private bornChildren(): void {
    const unborn = this.unborn;
    this.unborn = [];
    for (const e of unborn) {
      if (!this.stopWatching) return;
      const frame = frameOf(e, this.now());
      if (frame) this.publish(e.actorRef.sessionId, this.encode(frame), false);
    }
  }

  private encode(frame: InspectFrame): string {
    return JSON.stringify(frame);
  }

  /** One live frame: into the ring, to every viewer (or its backlog during a burst). */
  private publish(sessionId: string, text: string, always: boolean): void {
    this.remember(text);
    for (const v of this.viewers) {
      if (v.burst) {
        if (!always && v.awaiting.has(sessionId)) continue; // its synthesized frame will supersede this
        if (v.backlogBytes + text.length > this.maxBuffered) {
          v.dropped++;
          continue;
        }
        v.backlog.push(text);
        v.backlogBytes += text.length;
        continue;
      }
      this.sendLive(v, text);
    }
  }

  private sendLive(v: Viewer, text: string): void {
    if (v.sink.bufferedAmount() > this.maxBuffered) {
      v.dropped++;
      return;
    }
    v.sink.send(text);
  }

  /** Writes a viewer's burst while its buffer allows; looks again shortly when it does not. */
  private pump(v: Viewer): void {
    v.pacer = undefined;
    const burst = v.burst;
    if (!burst || !this.viewers.has(v)) return;
    while (v.next < burst.length) {
      if (v.sink.bufferedAmount() > this.maxBuffered) {
        v.pacer = this.timers.setTimeout(() => this.pump(v), PACE_MS);
        return;
      }
      const item = burst[v.next];
      burst[v.next++] = ''; // written: let it go
      if (typeof item === 'string') {
        v.sink.send(item);
      } else {
        v.sink.send(this.encode(actorFrame(item.ref, item.rootId, this.now())));
        v.awaiting.delete(item.ref.sessionId);
      }
    }
    v.burst = null;
    v.awaiting.clear();
    v.sink.send(this.encode({ type: '@clawgate.live', createdAt: String(this.now()), version: this.opts.version, replayed: v.replayed }));
    const backlog = v.backlog;
    v.backlog = [];
    v.backlogBytes = 0;
    for (const text of backlog) this.sendLive(v, text);
  }

  private remember(text: string): void {
    if (this.replayFrames <= 0) return;
    if (this.ring.length < this.replayFrames) {
      this.ring.push(text);
      return;
    }
    this.ring[this.ringStart] = text;
    this.ringStart = (this.ringStart + 1) % this.replayFrames;
  }

  private replay(): string[] {
    return [...this.ring.slice(this.ringStart), ...this.ring.slice(0, this.ringStart)];
  }

  /** `@clawgate.vitals` for each live actor whose view changed since the last tick (at most once a tick). */
  private vitals(): void {
    const sent = new Map<string, string>();
    for (const entry of this.directory.list()) {
      if (!entry.describe) continue;
      shielded(() => {
        const view = JSON.stringify(sanitize(entry.describe!()));
        const sessionId = entry.actor.sessionId;
        sent.set(sessionId, view);
        if (this.vitalsSent.get(sessionId) === view) return;
        const createdAt = JSON.stringify(String(this.now()));
        this.publish(sessionId, `{"type":"@clawgate.vitals","createdAt":${createdAt},"sessionId":${JSON.stringify(sessionId)},"kind":"${entry.kind}","view":${view}}`, true);
      });
    }
    this.vitalsSent = sent;
  }

  private stats(): void {
    this.vitals();
    const actors: Record<ActorKind, number> = { session: 0, connection: 0, node: 0, channel: 0 };
    for (const { kind } of this.directory.list()) actors[kind]++;
    const eventsPerSec = Math.round((this.events * 1000) / this.statsEveryMs);
    this.events = 0;
    const p99 = this.loopDelay ? this.loopDelay.percentile(99) / 1e6 : 0;
    this.loopDelay?.reset();
    const common = {
      type: '@clawgate.stats', createdAt: String(this.now()), actors, eventsPerSec,
      heapUsedBytes: process.memoryUsage().heapUsed, eventLoopDelayP99Ms: Math.round(p99 * 10) / 10,
    };
    for (const v of this.viewers) {
      if (v.burst) continue;
      this.sendLive(v, this.encode({ ...common, dropped: v.dropped }));
    }
  }
}

/** Runs `fn`; an exception is swallowed (a frame not shown), never thrown into XState or a registry. */
function shielded(fn: () => void): void {
  try {
    fn();
  } catch {
    // nothing to log: a log line per event would be its own flood, and frames are never logged (I3)
  }
}

/** An actor and its descendants (roots first, then their children), depth first. */
function collect(ref: AnyActorRef, rootId: string, into: Synthesized[]): void {
  into.push({ ref, rootId });
  for (const child of childrenOf(ref)) collect(child, rootId, into);
}
