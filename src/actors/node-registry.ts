import { randomUUID } from 'node:crypto';
import type { Actor } from 'xstate';
import type { Logger } from '../core/log.js';
import { scopeSatisfied, type ErrorShape } from '../policy/authorize.js';
import type { Admitted } from '../machines/connection.js';
import { nodeMachine, pendingInvoke, surfaceCovers, type InvokeOutcome, type NodeMachine, type NodeSurface } from '../machines/node.js';
import type { DeviceStore } from '../store/devices.js';
import type { ApprovedNode, NodeClientInfo, NodePairingRequest, NodeStore } from '../store/nodes.js';
import { encodeEvent } from '../../protocol/encode.js';
import { checkNodeCommand, type NodeCommandPolicy } from '../policy/node-commands.js';
import { a2uiRefusal, checkA2uiPush } from '../policy/a2ui-messages.js';
import { requestView, type LiveNodeInfo } from './node-views.js';
import type { Connection, ConnectionHub } from './connection-hub.js';
import { createSupervisedActor } from './supervise.js';

// One node actor per connected node, each an independent root in a Map (never children of one parent).
// The plane's hooks connect and disconnect them; node.invoke goes through here to the node's actor, whose
// `request` becomes a seq-less node.invoke.request on the node's socket and whose `settled` answers the
// invoker. A node whose declared surface is not approved gets a pending node pairing request.
// A node actor that throws disconnects that node (1011); its in-flight invocations fail, nothing else does.

/** node.invoke deadline when the invoker gives no `timeoutMs`. */
export const DEFAULT_INVOKE_TIMEOUT_MS = 30_000;
/** Longest timer delay Node honours; a larger one would fire at once. */
const MAX_DEADLINE_MS = 2_147_483_647;

/** Error of an invocation whose node is no longer approved (re-declared or revoked surface); retryable. */
export const PAIRING_CHANGED: ErrorShape = {
  code: 'UNAVAILABLE', message: 'node pairing changed while invocation was active', details: { code: 'PAIRING_CHANGED' }, retryable: true,
};
const NOT_CONNECTED: ErrorShape = {
  code: 'UNAVAILABLE', message: 'node not connected',
  details: { code: 'NOT_CONNECTED', nodeError: { code: 'NOT_CONNECTED', message: 'node not connected' }, nodeCommandDispatched: false },
};

/** What the node registry works with. */
export interface NodeRegistryDeps {
  hub: ConnectionHub;
  store: NodeStore;
  devices: DeviceStore;
  policy: NodeCommandPolicy;
  log: Logger;
  now?: () => number;
  /** NODE_NOT_READY retry spacing (machine default otherwise). */
  retryDelayMs?: number;
}

/** One node.invoke from an operator or the agent's tool. */
export interface InvokeRequest {
  nodeId: string;
  command: string;
  params?: unknown;
  timeoutMs?: number;
  idempotencyKey?: string;
  /** Streaming invokers get the node's node.invoke.progress chunks; others have them ignored. */
  onProgress?: (chunk: string, seq: number) => void;
}

/** The `res` of an invocation: the operator payload, or the error to answer with. */
export type Answer = { ok: true; payload: Record<string, unknown> } | { ok: false; error: ErrorShape };

interface LiveNode {
  nodeId: string;
  conn: Connection;
  actor: Actor<NodeMachine>;
  client: NodeClientInfo;
  connectedAtMs: number;
  lastSeenAtMs: number;
  lastSeenReason: string;
  hostStats?: Record<string, unknown>;
}

interface Waiter {
  command: string;
  nodeId: string;
  /** The node actor the invocation went to. */
  actor: Actor<NodeMachine>;
  resolve: (a: Answer) => void;
  onProgress?: (chunk: string, seq: number) => void;
}

const fail = (error: ErrorShape): Answer => ({ ok: false, error });
const pairers = (c: Connection) => c.role === 'operator' && scopeSatisfied(c.scopes, 'operator.pairing');

/** The connected nodes, one supervised node actor each, and the node.invoke calls waiting for their results. */
export class NodeRegistry {
  private readonly live = new Map<string, LiveNode>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly now: () => number;

  constructor(private readonly deps: NodeRegistryDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Approved surfaces and pending node pairing requests. */
  get store(): NodeStore {
    return this.deps.store;
  }

  /** Plane hook: a socket finished its handshake. Only role:"node" sockets become node actors. */
  connected(conn: Connection, admitted: Admitted): void {
    const nodeId = admitted.client.deviceId;
    if (admitted.role !== 'node' || typeof nodeId !== 'string') return;
    const declared = surfaceOf(admitted.client);
    const client = clientOf(admitted.client);
    const approved = this.deps.store.approved(nodeId);
    this.live.get(nodeId)?.actor.send({ type: 'DISCONNECT' }); // a newer socket of the same node replaces it
    const { actor, guard } = createSupervisedActor(nodeMachine, {
      input: { nodeId, declared, approved: approved ? surfaceOf(approved) : null, retryDelayMs: this.deps.retryDelayMs },
    }, { kind: 'node', id: nodeId, log: this.deps.log, onFailure: (err) => this.failed(node, err) });
    const now = this.now();
    const node: LiveNode = { nodeId, conn, actor, client, connectedAtMs: now, lastSeenAtMs: now, lastSeenReason: 'connect' };
    actor.on('request', guard(({ request }) => this.deps.hub.direct(conn, 'node.invoke.request', request)));
    actor.on('progress', guard(({ id, seq, chunk }) => this.waiters.get(id)?.onProgress?.(chunk, seq)));
    actor.on('settled', guard(({ id, outcome }) => this.settle(id, outcome)));
    this.live.set(nodeId, node);
    actor.start();
    if (approved) this.deps.store.seen(nodeId, 'connect', client);
    if (!surfaceCovers(approved ? surfaceOf(approved) : null, declared)) {
      const silent = this.deps.devices.get(nodeId)?.approvedVia === 'silent';
      const { request, created } = this.deps.store.request(nodeId, declared, client, silent);
      if (created) this.announceRequested(request);
    }
  }

  /** Plane hook: a socket closed. In-flight invocations on it settle as disconnected. */
  closed(conn: Connection): void {
    const node = this.current(conn);
    if (!node) return;
    this.live.delete(node.nodeId);
    node.actor.send({ type: 'DISCONNECT' });
    this.deps.store.seen(node.nodeId, 'disconnect');
  }

  /** The node behind a socket, if that socket is the node's current one. */
  byConn(conn: Connection): LiveNodeInfo | undefined {
    const node = this.current(conn);
    return node && this.info(node);
  }

  get(nodeId: string): LiveNodeInfo | undefined {
    const node = this.live.get(nodeId);
    return node && this.info(node);
  }

  list(): LiveNodeInfo[] {
    return [...this.live.values()].map((n) => this.info(n));
  }

  /** Run a command on a node. Resolves once the node answers, the deadline passes, or the node goes away. */
  invoke(req: InvokeRequest): Promise<Answer> {
    const nodeId = req.nodeId.trim();
    const command = req.command.trim();
    if (!nodeId || !command) return Promise.resolve(fail({ code: 'INVALID_REQUEST', message: 'nodeId and command required' }));
    const node = this.live.get(nodeId);
    if (!node) return Promise.resolve(fail(this.deps.store.approved(nodeId) ? NOT_CONNECTED : PAIRING_CHANGED));
    const snapshot = node.actor.getSnapshot();
    if (!snapshot.matches('approved')) return Promise.resolve(fail(PAIRING_CHANGED));
    const refused = checkNodeCommand(this.deps.policy, {
      platform: node.client.platform, deviceFamily: node.client.deviceFamily, declared: snapshot.context.declared.commands,
    }, command);
    if (refused) return Promise.resolve(fail(refused));
    // A2UI pushes are checked here, so a node never sees messages its v0.8 renderer would choke on (C6)
    const badA2ui = checkA2uiPush(command, req.params);
    if (badA2ui) return Promise.resolve(fail(a2uiRefusal(badA2ui)));
    const id = randomUUID();
    return new Promise((resolve) => {
      this.waiters.set(id, { nodeId, command, actor: node.actor, resolve, onProgress: req.onProgress });
      node.actor.send({
        type: 'INVOKE', id, command, params: req.params, deadlineMs: Math.min(req.timeoutMs ?? DEFAULT_INVOKE_TIMEOUT_MS, MAX_DEADLINE_MS),
        idempotencyKey: req.idempotencyKey, stream: req.onProgress !== undefined, now: this.now(),
      });
    });
  }

  /** node.invoke.result from a node socket. A result nobody waits for (late, unknown) is acknowledged and ignored. */
  result(conn: Connection, r: { id: string; nodeId: string; ok: boolean; payload?: unknown; payloadJSON?: string; error?: { code?: string; message?: string } }): Answer {
    if (conn.client.deviceId !== r.nodeId) return fail({ code: 'INVALID_REQUEST', message: 'nodeId mismatch' });
    const node = this.live.get(r.nodeId);
    if (!node || node.conn !== conn || !pendingInvoke(node.actor.getSnapshot().context.pending, r.id)) {
      this.deps.log.debug({ nodeId: r.nodeId, id: r.id }, 'node.invoke.result for no pending invocation (late or unknown)');
      return { ok: true, payload: { ok: true, ignored: true } };
    }
    node.actor.send({ type: 'RESULT', id: r.id, ok: r.ok, payload: r.payload, payloadJSON: r.payloadJSON, error: r.error, now: this.now() });
    return { ok: true, payload: { ok: true } };
  }

  /** node.invoke.progress: forwarded only to an invoker that streams. */
  progress(conn: Connection, p: { invokeId: string; nodeId: string; seq: number; chunk: string }): Answer {
    if (conn.client.deviceId !== p.nodeId) return fail({ code: 'INVALID_REQUEST', message: 'nodeId mismatch' });
    const node = this.live.get(p.nodeId);
    const pending = node && node.conn === conn ? pendingInvoke(node.actor.getSnapshot().context.pending, p.invokeId) : undefined;
    if (!node || !pending?.stream) return { ok: true, payload: { ok: true, ignored: true } };
    node.actor.send({ type: 'PROGRESS', id: p.invokeId, seq: p.seq, chunk: p.chunk });
    return { ok: true, payload: { ok: true } };
  }

  /** An approval was stored: the live node (if any) gets its surface at once. */
  applyApproval(approved: ApprovedNode): void {
    this.live.get(approved.nodeId)?.actor.send({ type: 'APPROVED', surface: surfaceOf(approved) });
  }

  /** The node's approval is gone: in-flight invocations settle as pairing-changed. */
  revoke(nodeId: string): void {
    this.live.get(nodeId)?.actor.send({ type: 'REVOKED' });
  }

  /** A node reported activity (node.event). */
  touch(nodeId: string, reason: string): void {
    const node = this.live.get(nodeId);
    if (!node) return;
    node.lastSeenAtMs = this.now();
    node.lastSeenReason = reason;
  }

  /** Keep a node's host statistics and tell operator.read sockets (node.hostStats). */
  hostStats(nodeId: string, hostStats: Record<string, unknown>): void {
    const node = this.live.get(nodeId);
    if (!node) return;
    node.hostStats = hostStats;
    this.deps.hub.broadcast(() => encodeEvent('node.hostStats', { nodeId, hostStats }), (c) => c.reader);
  }

  announceRequested(r: NodePairingRequest): void {
    this.deps.hub.broadcast(() => encodeEvent('node.pair.requested', requestView(r), { lossy: true }), pairers);
  }

  announceResolved(r: { requestId: string; nodeId: string }, decision: 'approved' | 'rejected'): void {
    this.deps.hub.broadcast(() => encodeEvent('node.pair.resolved', {
      requestId: r.requestId, nodeId: r.nodeId, decision, ts: this.now(),
    }, { lossy: true }), pairers);
  }

  private current(conn: Connection): LiveNode | undefined {
    const nodeId = conn.client.deviceId;
    const node = typeof nodeId === 'string' ? this.live.get(nodeId) : undefined;
    return node && node.conn === conn ? node : undefined;
  }

  private info(n: LiveNode): LiveNodeInfo {
    const snapshot = n.actor.getSnapshot();
    return {
      nodeId: n.nodeId, client: n.client, declared: snapshot.context.declared, approved: snapshot.matches('approved'),
      connectedAtMs: n.connectedAtMs, lastSeenAtMs: n.lastSeenAtMs, lastSeenReason: n.lastSeenReason,
      ...(n.hostStats ? { hostStats: n.hostStats } : {}),
    };
  }

  /** A node actor threw: its invocations fail, and the node is disconnected (1011) and forgotten until it reconnects. */
  private failed(node: LiveNode, err: unknown): void {
    this.deps.log.error({ err, nodeId: node.nodeId, conn: node.conn.id }, 'node actor failed: disconnecting the node');
    const current = this.live.get(node.nodeId) === node;
    if (current) this.live.delete(node.nodeId);
    for (const [id, w] of this.waiters) {
      if (w.actor !== node.actor) continue;
      this.waiters.delete(id);
      w.resolve(fail({
        code: 'UNAVAILABLE', message: `node failed (internal error) and was disconnected (${w.command})`,
        details: { code: 'NOT_CONNECTED', nodeCommandDispatched: true }, retryable: true,
      }));
    }
    this.deps.hub.close(node.conn, 1011, 'internal error');
    if (current) this.deps.store.seen(node.nodeId, 'disconnect');
  }

  private settle(id: string, outcome: InvokeOutcome): void {
    const w = this.waiters.get(id);
    if (!w) return;
    this.waiters.delete(id);
    w.resolve(answerOf(w, outcome));
  }
}

/** The operator-facing answer for a settled invocation (openclaw-protocol.md §11.4). */
function answerOf(w: Waiter, o: InvokeOutcome): Answer {
  if (o.ok) {
    const payload = o.payload !== undefined ? o.payload : parseJson(o.payloadJSON);
    return { ok: true, payload: { ok: true, nodeId: w.nodeId, command: w.command, payload: payload ?? null, payloadJSON: null } };
  }
  switch (o.cause) {
    case 'pairing':
      return fail(PAIRING_CHANGED);
    case 'disconnected':
      return fail({ code: 'UNAVAILABLE', message: `node disconnected (${w.command})`, details: { code: 'NOT_CONNECTED', nodeCommandDispatched: o.dispatched } });
    case 'timeout':
    case 'node': {
      const code = o.error?.code?.trim() ?? '';
      const message = o.error?.message?.trim() || 'node invoke failed';
      return fail({
        code: 'UNAVAILABLE', message: code ? `${code}: ${message}` : message,
        details: { nodeError: o.error ?? null, nodeCommandDispatched: o.dispatched },
      });
    }
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text; // not JSON: hand the text over as it came
  }
}

function surfaceOf(o: Record<string, unknown> | NodeSurface): NodeSurface {
  const list = (v: unknown) => (Array.isArray(v) ? [...new Set(v.filter((s): s is string => typeof s === 'string' && s.trim() !== ''))] : []);
  const perms = o.permissions && typeof o.permissions === 'object' ? o.permissions as Record<string, unknown> : {};
  return {
    caps: list(o.caps), commands: list(o.commands),
    permissions: Object.fromEntries(Object.entries(perms).filter(([, v]) => typeof v === 'boolean')) as Record<string, boolean>,
  };
}

function clientOf(c: Record<string, unknown>): NodeClientInfo {
  const s = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
  return Object.fromEntries(Object.entries({
    displayName: s(c.displayName), platform: s(c.platform), version: s(c.version), deviceFamily: s(c.deviceFamily),
    clientId: s(c.id), clientMode: s(c.mode),
  }).filter(([, v]) => v !== undefined)) as NodeClientInfo;
}
