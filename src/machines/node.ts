import { assign, enqueueActions, setup } from 'xstate';
import type { NodeSurface } from '../core/node-surface.js';

// One connected node (openclaw-protocol.md §11): its declared and approved capability surface and the
// invocations in flight on it. Pure: the registry (src/actors/node-registry.ts) feeds it events and carries
// out what it emits — `request` becomes a seq-less `node.invoke.request` to the node's socket, `settled`
// answers whoever invoked. Every invocation has its own deadline, a delayed event on the actor's clock.
//
// Time enters only through events: INVOKE and RESULT carry `now` (epoch ms), so the machine can tell the
// node how much of the deadline is left when it retries, without reading a clock itself.


/** The error a node reported for an invocation. */
export interface NodeError {
  code?: string;
  message?: string;
}

/** Payload of the `node.invoke.request` event (published `NodeInvokeRequestEvent`). */
export interface NodeInvokeRequest {
  id: string;
  nodeId: string;
  command: string;
  paramsJSON?: string;
  timeoutMs: number;
  idempotencyKey?: string;
}

/** How an invocation ended: the node's payload, or why it failed. */
export type InvokeOutcome =
  | { ok: true; payload: unknown; payloadJSON?: string }
  /** `dispatched`: the node was sent the request, so the command may have run. */
  | { ok: false; cause: 'node' | 'timeout' | 'disconnected' | 'pairing'; error?: NodeError; dispatched: boolean };

/** An invocation in flight on a node. */
export interface PendingInvoke {
  id: string;
  command: string;
  paramsJSON?: string;
  idempotencyKey?: string;
  deadlineAt: number;
  /** Times the request was sent to the node (1 + retries). */
  attempts: number;
  /** Whether progress chunks are wanted (an invoker that streams). */
  stream: boolean;
  lastSeq: number;
}

/** What the registry gives a node actor when the node connects. */
export interface NodeInput {
  nodeId: string;
  declared: NodeSurface;
  /** The stored approval, or null if this node has none. */
  approved: NodeSurface | null;
  /** Wait before retry n (n × this) after NODE_NOT_READY. */
  retryDelayMs?: number;
}

interface NodeContext extends NodeInput {
  retryDelayMs: number;
  pending: Record<string, PendingInvoke>;
}

/** What the registry sends a node actor: invocations, their results and progress, approval changes, disconnect. */
export type NodeEvent =
  | { type: 'INVOKE'; id: string; command: string; params?: unknown; deadlineMs: number; idempotencyKey?: string; stream?: boolean; now: number }
  | { type: 'RESULT'; id: string; ok: boolean; payload?: unknown; payloadJSON?: string; error?: NodeError; now: number }
  | { type: 'PROGRESS'; id: string; seq: number; chunk: string }
  /** The operator approved a surface (the node's whole approved surface after the approval). */
  | { type: 'APPROVED'; surface: NodeSurface }
  /** The node's approval was withdrawn (node.pair.remove). */
  | { type: 'REVOKED' }
  | { type: 'DISCONNECT' }
  | { type: 'DEADLINE'; id: string }
  | { type: 'RETRY'; id: string; timeoutMs: number };

/** What a node actor asks the registry to do: send a request to the node, forward progress, answer an invoker. */
export type NodeEmitted =
  | { type: 'request'; request: NodeInvokeRequest }
  | { type: 'progress'; id: string; seq: number; chunk: string }
  | { type: 'settled'; id: string; outcome: InvokeOutcome };

/** NODE_NOT_READY answers are retried this many times, as long as the deadline allows. */
export const MAX_NOT_READY_RETRIES = 4;
/** Base wait before retrying after NODE_NOT_READY (retry n waits n times this). */
export const DEFAULT_RETRY_DELAY_MS = 250;

/** Does `approved` include everything `declared` asks for? Declaring nothing needs no approval. */
export function surfaceCovers(approved: NodeSurface | null, declared: NodeSurface): boolean {
  const grants = Object.entries(declared.permissions).filter(([, granted]) => granted);
  if (declared.caps.length === 0 && declared.commands.length === 0 && grants.length === 0) return true;
  if (!approved) return false;
  return declared.caps.every((c) => approved.caps.includes(c))
    && declared.commands.every((c) => approved.commands.includes(c))
    && grants.every(([name]) => Object.hasOwn(approved.permissions, name) && approved.permissions[name] === true);
}

/** The in-flight invocation with this id. Ids come from node frames (node.invoke.result), so only own keys count:
 *  `constructor` or `__proto__` must not find Object.prototype's members. */
export function pendingInvoke(pending: Readonly<Record<string, PendingInvoke>>, id: string): PendingInvoke | undefined {
  return Object.hasOwn(pending, id) ? pending[id] : undefined;
}

const deadlineId = (id: string) => `deadline:${id}`;
const retryId = (id: string) => `retry:${id}`;

/** The node machine: pending approval until its declared surface is approved, then invocations; final on disconnect. */
export const nodeMachine = setup({
  types: {
    input: {} as NodeInput,
    context: {} as NodeContext,
    events: {} as NodeEvent,
    emitted: {} as NodeEmitted,
  },
  guards: {
    approvedCoversDeclared: ({ context }) => surfaceCovers(context.approved, context.declared),
    eventCoversDeclared: ({ context, event }) => event.type === 'APPROVED' && surfaceCovers(event.surface, context.declared),
  },
  actions: {
    assignApproved: assign({ approved: ({ context, event }) => (event.type === 'APPROVED' ? event.surface : context.approved) }),
    /** Not approved (yet): nothing is sent to the node. */
    refuseUnapproved: enqueueActions(({ event, enqueue }) => {
      if (event.type !== 'INVOKE') return;
      enqueue.emit({ type: 'settled', id: event.id, outcome: { ok: false, cause: 'pairing', dispatched: false } });
    }),
    dispatch: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'INVOKE' || pendingInvoke(context.pending, event.id)) return;
      const p: PendingInvoke = {
        id: event.id, command: event.command, deadlineAt: event.now + event.deadlineMs, attempts: 1,
        stream: event.stream ?? false, lastSeq: -1,
        ...(event.params === undefined ? {} : { paramsJSON: JSON.stringify(event.params) }),
        ...(event.idempotencyKey ? { idempotencyKey: event.idempotencyKey } : {}),
      };
      enqueue.assign({ pending: { ...context.pending, [p.id]: p } });
      enqueue.emit({ type: 'request', request: requestOf(context.nodeId, p, event.deadlineMs) });
      enqueue.raise({ type: 'DEADLINE', id: p.id }, { id: deadlineId(p.id), delay: event.deadlineMs });
    }),
    result: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'RESULT') return;
      const p = pendingInvoke(context.pending, event.id);
      if (!p) return; // late (after its deadline) or unknown: nothing waits for it
      if (!event.ok && event.error?.code === 'NODE_NOT_READY' && p.attempts <= MAX_NOT_READY_RETRIES) {
        const delay = context.retryDelayMs * p.attempts;
        const left = p.deadlineAt - event.now - delay;
        if (left > 0) {
          enqueue.assign({ pending: { ...context.pending, [p.id]: { ...p, attempts: p.attempts + 1 } } });
          enqueue.raise({ type: 'RETRY', id: p.id, timeoutMs: left }, { id: retryId(p.id), delay });
          return;
        }
      }
      const outcome: InvokeOutcome = event.ok
        ? { ok: true, payload: event.payload, ...(event.payloadJSON === undefined ? {} : { payloadJSON: event.payloadJSON }) }
        : { ok: false, cause: 'node', ...(event.error ? { error: event.error } : {}), dispatched: true };
      settle(context, enqueue, [p.id], outcome);
    }),
    redispatch: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'RETRY') return;
      const p = pendingInvoke(context.pending, event.id);
      if (p) enqueue.emit({ type: 'request', request: requestOf(context.nodeId, p, event.timeoutMs) });
    }),
    progress: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'PROGRESS') return;
      const p = pendingInvoke(context.pending, event.id);
      if (!p?.stream || event.seq <= p.lastSeq) return; // not wanted, or a repeated chunk
      enqueue.assign({ pending: { ...context.pending, [p.id]: { ...p, lastSeq: event.seq } } });
      enqueue.emit({ type: 'progress', id: p.id, seq: event.seq, chunk: event.chunk });
    }),
    timeout: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'DEADLINE' || !pendingInvoke(context.pending, event.id)) return;
      settle(context, enqueue, [event.id], {
        ok: false, cause: 'timeout', error: { code: 'TIMEOUT', message: 'node invoke timed out' }, dispatched: true,
      });
    }),
    settleAllPairing: enqueueActions(({ context, enqueue }) => {
      settle(context, enqueue, Object.keys(context.pending), { ok: false, cause: 'pairing', dispatched: true });
    }),
    settleAllDisconnected: enqueueActions(({ context, enqueue }) => {
      settle(context, enqueue, Object.keys(context.pending), { ok: false, cause: 'disconnected', dispatched: true });
    }),
  },
}).createMachine({
  id: 'node',
  context: ({ input }) => ({ ...input, retryDelayMs: input.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS, pending: {} }),
  initial: 'connecting',
  on: { DISCONNECT: '.disconnected' },
  states: {
    connecting: {
      always: [{ guard: 'approvedCoversDeclared', target: 'approved' }, { target: 'pendingApproval' }],
    },
    /** The declared surface is new or wider than the approved one: every invocation is refused. */
    pendingApproval: {
      on: {
        INVOKE: { actions: 'refuseUnapproved' },
        APPROVED: [
          { guard: 'eventCoversDeclared', target: 'approved', actions: 'assignApproved' },
          { actions: 'assignApproved' },
        ],
      },
    },
    approved: {
      on: {
        INVOKE: { actions: 'dispatch' },
        RESULT: { actions: 'result' },
        PROGRESS: { actions: 'progress' },
        DEADLINE: { actions: 'timeout' },
        RETRY: { actions: 'redispatch' },
        APPROVED: { actions: 'assignApproved' },
        REVOKED: { target: 'pendingApproval', actions: ['settleAllPairing', assign({ approved: null })] },
      },
    },
    disconnected: { type: 'final', entry: 'settleAllDisconnected' },
  },
});

/** The type of {@link nodeMachine}. */
export type NodeMachine = typeof nodeMachine;

function requestOf(nodeId: string, p: PendingInvoke, timeoutMs: number): NodeInvokeRequest {
  return {
    id: p.id, nodeId, command: p.command, timeoutMs,
    ...(p.paramsJSON === undefined ? {} : { paramsJSON: p.paramsJSON }),
    ...(p.idempotencyKey ? { idempotencyKey: p.idempotencyKey } : {}),
  };
}

/** Drop the invocations, cancel their timers, and emit the outcome for each. */
function settle(
  context: NodeContext,
  enqueue: { assign: (a: Partial<NodeContext>) => void; cancel: (id: string) => void; emit: (e: NodeEmitted) => void },
  ids: string[],
  outcome: InvokeOutcome,
): void {
  if (ids.length === 0) return;
  const pending = { ...context.pending };
  for (const id of ids) delete pending[id];
  enqueue.assign({ pending });
  for (const id of ids) {
    enqueue.cancel(deadlineId(id));
    enqueue.cancel(retryId(id));
    enqueue.emit({ type: 'settled', id, outcome });
  }
}

export type { NodeSurface };
