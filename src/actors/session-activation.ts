import { type AnyActorLogic, createActor, type Snapshot } from 'xstate';
import type { QueuedRun, SessionContext, SessionMachine } from '../machines/session.js';

// A session actor created for a message starts running it at once (the machine's `start` state). That first
// step ends in the same state for every such session (running, timed or not) and differs only in the context
// and in the input of the run's invoked actor, so it is computed once per machine and deadline setting, and
// each new session actor is restored from it (createActor with a snapshot), as connection actors are from
// their initial state: XState's initial macrostep (transition selection, entry sets, action resolution) cost
// more than the rest of the session's creation.
//
// Restoring runs no entry action and no transition; what they would do is in the snapshot or done by the
// caller: `takeNext` is the context (the run current, the queue empty), the invoke is the restored child (it
// starts with its parent), and `armDeadline` is the caller's to arm. A machine whose first step does anything
// else (a test's machine with actions of its own there) gets no template: its actors start from their input.

/** What a session created for a message starts as; see firstRunSnapshot. */
interface Template {
  value: unknown;
  childId: string;
  src: string;
}

const PROBE: QueuedRun = { runId: '\u0000template', input: { runId: '\u0000template', sessionKey: '\u0000template', text: '', parts: [] } };

/** The entry actions the first step may run: those restoring stands in for. */
const KNOWN_ENTRIES: Record<string, string[]> = {
  session: [], 'session.running': ['takeNext'], 'session.running.timed': ['armDeadline'], 'session.running.untimed': [],
};

const templates = new WeakMap<AnyActorLogic, Map<boolean, Template | null>>();

/**
 * The snapshot a new session actor for `first` is restored from (its context with `first` running), or
 * undefined when the machine's first step cannot be restored (then create the actor from its input).
 */
export function firstRunSnapshot(machine: SessionMachine, context: Omit<SessionContext, 'queue' | 'current'>, first: QueuedRun): Snapshot<unknown> | undefined {
  const timed = context.runTimeoutMs > 0;
  let byDeadline = templates.get(machine);
  if (!byDeadline) templates.set(machine, byDeadline = new Map());
  let template = byDeadline.get(timed);
  if (template === undefined) byDeadline.set(timed, template = templateOf(machine, context));
  if (template === null) return undefined;
  const restored: SessionContext = { sessionKey: context.sessionKey, idleMs: context.idleMs, runTimeoutMs: context.runTimeoutMs, queue: [], current: first };
  return {
    status: 'active', value: template.value, historyValue: {}, context: restored,
    children: { [template.childId]: { snapshot: { status: 'active', input: first, output: undefined, error: undefined }, src: template.src, syncSnapshot: false } },
  } as unknown as Snapshot<unknown>;
}

interface Persisted {
  status: string;
  value: unknown;
  context: SessionContext;
  children: Record<string, { src: unknown; syncSnapshot?: boolean; systemId?: string }>;
}

interface StateNodeView {
  id: string;
  entry: unknown[];
  invoke: Array<{ src: unknown }>;
}

/** The first step of a session created for a message, computed once (never started: nothing runs). */
function templateOf(machine: SessionMachine, context: Omit<SessionContext, 'queue' | 'current'>): Template | null {
  const actor = createActor(machine, { input: { sessionKey: PROBE.input.sessionKey, idleMs: context.idleMs, runTimeoutMs: context.runTimeoutMs, first: PROBE } });
  const nodes = (actor.getSnapshot() as unknown as { _nodes: StateNodeView[] })._nodes;
  const snapshot = actor.getPersistedSnapshot() as unknown as Persisted;
  const children = Object.entries(snapshot.children);
  const known = nodes.every((n) => {
    const entries = KNOWN_ENTRIES[n.id];
    return entries !== undefined && n.entry.length === entries.length && n.entry.every((e, i) => e === entries[i])
      && n.invoke.length === (n.id === 'session.running' ? 1 : 0);
  });
  if (!known || snapshot.status !== 'active' || snapshot.context.current?.runId !== PROBE.runId || snapshot.context.queue.length !== 0
    || children.length !== 1 || typeof children[0][1].src !== 'string' || children[0][1].syncSnapshot || children[0][1].systemId !== undefined) {
    return null;
  }
  return { value: snapshot.value, childId: children[0][0], src: children[0][1].src };
}
