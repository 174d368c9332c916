import { createActor, type AnyActorLogic, type AnyActorRef, type ActorOptions, type InspectionEvent, type Subscription } from 'xstate';
import type { HubTimers, ViewerSink } from '../../src/actors/inspect-hub.js';

// Inspection helpers for tests: collect the inspection events of any createActor (in order), spy on the
// observers attached to an actor's system, fake hub timers, and an in-process viewer with a settable buffer.

/** An actor started with an inspection observer that records every event, in order. */
export function collectInspection<T extends AnyActorLogic>(logic: T, options: ActorOptions<T> = {} as ActorOptions<T>) {
  const events: InspectionEvent[] = [];
  const actor = createActor(logic, { ...options, inspect: (e: InspectionEvent) => events.push(e) } as ActorOptions<T>);
  return { actor, events };
}

/** Counts the observers attached to (and detached from) an actor's system through `system.inspect`. */
export function spyOnInspect(actor: AnyActorRef): { calls: number; live: number } {
  const counts = { calls: 0, live: 0 };
  const system = actor.system as { inspect(o: unknown): Subscription };
  const original = system.inspect.bind(system);
  system.inspect = (o: unknown) => {
    counts.calls++;
    counts.live++;
    const sub = original(o);
    let open = true;
    return { unsubscribe: () => { if (open) { open = false; counts.live--; } sub.unsubscribe(); } };
  };
  return counts;
}

/** Hub timers that run only when the test says so. */
export class ManualTimers implements HubTimers {
  private nextId = 1;
  readonly intervals = new Map<number, () => void>();
  readonly timeouts = new Map<number, () => void>();
  setInterval(fn: () => void): unknown {
    const id = this.nextId++;
    this.intervals.set(id, fn);
    return id;
  }
  clearInterval(h: unknown): void {
    this.intervals.delete(h as number);
  }
  setTimeout(fn: () => void): unknown {
    const id = this.nextId++;
    this.timeouts.set(id, fn);
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timeouts.delete(h as number);
  }
  /** Runs every interval once. */
  tick(): void {
    for (const fn of [...this.intervals.values()]) fn();
  }
  /** Runs the pending timeouts (once each). */
  flushTimeouts(): void {
    const due = [...this.timeouts];
    this.timeouts.clear();
    for (const [, fn] of due) fn();
  }
  get count(): number {
    return this.intervals.size + this.timeouts.size;
  }
}

/** An in-process viewer: every frame parsed, and a buffer the test fills and drains. */
export class MemoryViewer implements ViewerSink {
  readonly frames: Record<string, any>[] = [];
  buffered = 0;
  /** When set, every frame sent adds its size to `buffered` (a reader that stopped reading). */
  accumulate = false;
  send(text: string): void {
    this.frames.push(JSON.parse(text));
    if (this.accumulate) this.buffered += text.length;
  }
  bufferedAmount(): number {
    return this.buffered;
  }
  types(): string[] {
    return this.frames.map((f) => f.type);
  }
}
