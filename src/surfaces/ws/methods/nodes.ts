import { PAIRING_CHANGED } from '../../../actors/node-registry.js';
import { missingScope, scopeSatisfied } from '../../../policy/authorize.js';
import type { NodeEventParams } from '../../../../protocol/nodes.js';
import { validateEventPayload } from '../../../../protocol/precompiled.js';
import { isAdminCommand } from '../../../policy/node-commands.js';
import { nodeEntry, type NodeFacts } from '../../../actors/node-views.js';
import { invalidRequest, MethodError, type Handler, type WsServices } from './types.js';

// node.list, node.describe and node.invoke (operators); node.invoke.result, node.invoke.progress and
// node.event (nodes). openclaw-protocol.md §11.4–§11.5. node.invoke is not deduped: every call runs.

/** Every node the gateway knows: connected, approved, or waiting for approval. */
function allFacts(ctx: WsServices): NodeFacts[] {
  const ids = new Set<string>();
  for (const n of ctx.nodes.list()) ids.add(n.nodeId);
  for (const n of ctx.nodes.store.listApproved()) ids.add(n.nodeId);
  for (const r of ctx.nodes.store.pending()) ids.add(r.nodeId);
  return [...ids].map((nodeId) => facts(ctx, nodeId));
}

function facts(ctx: WsServices, nodeId: string): NodeFacts {
  return {
    nodeId, live: ctx.nodes.get(nodeId), approved: ctx.nodes.store.approved(nodeId), pending: ctx.nodes.store.pendingFor(nodeId),
    paired: ctx.devices.get(nodeId) !== undefined,
  };
}

/** `node.list`: every node the gateway knows, connected or not. */
export const nodeList: Handler<'node.list'> = (_params, _call, ctx) => ({ ts: Date.now(), nodes: allFacts(ctx).map(nodeEntry) });

/** `node.describe`: one known node. */
export const nodeDescribe: Handler<'node.describe'> = (params, _call, ctx) => {
  const f = facts(ctx, params.nodeId);
  if (!f.live && !f.approved && !f.pending) throw invalidRequest('unknown nodeId');
  return { ts: Date.now(), ...nodeEntry(f) };
};

/** `node.invoke`: run a command on a node and answer with its result (host execution needs operator.admin). */
export const nodeInvoke: Handler<'node.invoke'> = async (params, call, ctx) => {
  // host-execution commands are admin-only, whatever the node and its approval
  if (isAdminCommand(params.command.trim()) && !scopeSatisfied(call.conn.scopes, 'operator.admin')) {
    throw new MethodError(missingScope('operator.admin', ['operator.admin']));
  }
  const answer = await ctx.nodes.invoke({
    nodeId: params.nodeId, command: params.command, params: params.params, timeoutMs: params.timeoutMs,
    idempotencyKey: params.idempotencyKey,
  });
  if (!answer.ok) throw new MethodError(answer.error);
  return answer.payload;
};

/** `node.invoke.result`: a node answers an invocation it was sent. */
export const nodeInvokeResult: Handler<'node.invoke.result'> = (params, call, ctx) => {
  const answer = ctx.nodes.result(call.conn, params);
  if (!answer.ok) throw new MethodError(answer.error);
  return answer.payload;
};

/** `node.invoke.progress`: a node streams a chunk of an invocation in flight. */
export const nodeInvokeProgress: Handler<'node.invoke.progress'> = (params, call, ctx) => {
  const answer = ctx.nodes.progress(call.conn, params);
  if (!answer.ok) throw new MethodError(answer.error);
  return answer.payload;
};

const HOST_STAT_FIELDS = ['cpuCount', 'loadAverage', 'memoryTotalBytes', 'memoryFreeBytes', 'diskTotalBytes', 'diskAvailableBytes'];

/** The known host-stat fields of a node's payload, or undefined if they do not make valid stats. */
function hostStats(nodeId: string, payload: unknown, now: number): Record<string, unknown> | undefined {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return undefined;
  const raw = (payload as { hostStats?: unknown }).hostStats ?? payload;
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  const stats: Record<string, unknown> = Object.fromEntries(HOST_STAT_FIELDS.filter((k) => r[k] !== undefined).map((k) => [k, r[k]]));
  stats.updatedAtMs = Number.isSafeInteger(r.updatedAtMs) && (r.updatedAtMs as number) >= 0 ? r.updatedAtMs : now;
  return validateEventPayload('node.hostStats', { nodeId, hostStats: stats }).ok ? stats : undefined;
}

function parsePayload(p: NodeEventParams): unknown {
  if (p.payload !== undefined || p.payloadJSON === undefined) return p.payload;
  try {
    return JSON.parse(p.payloadJSON);
  } catch {
    return undefined;
  }
}

/** `node.event`: an approved node reports host stats or presence; other events are acknowledged, unhandled. */
export const nodeEvent: Handler<'node.event'> = (params, call, ctx) => {
  const node = ctx.nodes.byConn(call.conn);
  if (!node?.approved) throw new MethodError(PAIRING_CHANGED);
  const { event } = params;
  switch (event) {
    case 'node.host.stats': {
      const stats = hostStats(node.nodeId, parsePayload(params), Date.now());
      if (!stats) return { ok: true, event, handled: false, reason: 'invalid_payload' };
      ctx.nodes.hostStats(node.nodeId, stats);
      ctx.nodes.touch(node.nodeId, event);
      return { ok: true, event, handled: true, reason: 'updated' };
    }
    case 'node.presence.alive':
    case 'node.presence.activity':
      ctx.nodes.touch(node.nodeId, event);
      return { ok: true, event, handled: true, reason: 'updated' };
    default:
      return { ok: true, event, handled: false, reason: 'unsupported_event' };
  }
};
