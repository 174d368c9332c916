import { missingScope, scopeSatisfied } from '../../../policy/authorize.js';
import { isAdminCommand } from '../../../policy/node-commands.js';
import { approvedView, requestView } from '../../../actors/node-views.js';
import { invalidRequest, MethodError, RESPONDED, type Handler } from './types.js';

// node.pair.list / approve / reject / remove (openclaw-protocol.md §11.2, §10.7): the operator side of node
// capability approval. Decisions are broadcast to operator.pairing sockets as node.pair.resolved.

/** `node.pair.list`: pending node approval requests and approved nodes. */
export const nodePairList: Handler<'node.pair.list'> = (_params, _call, ctx) => ({
  pending: ctx.nodes.store.pending().map(requestView),
  paired: ctx.nodes.store.listApproved().map((n) => approvedView(n, ctx.nodes.get(n.nodeId) !== undefined)),
});

/** `node.pair.approve`: approve the node's commands (admin-only when they include host execution). */
export const nodePairApprove: Handler<'node.pair.approve'> = (params, call, ctx) => {
  const req = ctx.nodes.store.pendingById(params.requestId);
  if (!req) throw invalidRequest('unknown requestId');
  // approving host execution is as strong as doing it: operator.admin
  if (req.commands.some(isAdminCommand) && !scopeSatisfied(call.conn.scopes, 'operator.admin')) {
    throw new MethodError(missingScope('operator.admin', ['operator.pairing', 'operator.write', 'operator.admin']));
  }
  const node = ctx.nodes.store.approve(req);
  ctx.nodes.applyApproval(node);
  ctx.nodes.announceResolved(req, 'approved');
  return { requestId: req.requestId, node: approvedView(node, ctx.nodes.get(node.nodeId) !== undefined) };
};

/** `node.pair.reject`: drop the node's approval request and announce `node.pair.resolved`. */
export const nodePairReject: Handler<'node.pair.reject'> = (params, _call, ctx) => {
  const req = ctx.nodes.store.pendingById(params.requestId);
  if (!req) throw invalidRequest('unknown requestId');
  ctx.nodes.store.dropRequest(req.requestId);
  ctx.nodes.announceResolved(req, 'rejected');
  return { requestId: req.requestId, nodeId: req.nodeId };
};

/**
 * Forget the node's approval, revoke its node-role device token, answer, then close the node's sockets
 * with 4001 `device removed`: it has to be approved again before it can be invoked.
 */
export const nodePairRemove: Handler<'node.pair.remove'> = (params, call, ctx) => {
  const { nodeId } = params;
  const known = ctx.nodes.store.remove(nodeId);
  if (!known && !ctx.nodes.get(nodeId)) throw invalidRequest('unknown nodeId');
  ctx.nodes.revoke(nodeId);
  ctx.devices.revoke(nodeId, 'node');
  call.respond(true, { nodeId, removed: true });
  ctx.hub.closeWhere((c) => c.role === 'node' && c.client.deviceId === nodeId, 4001, 'device removed');
  return RESPONDED;
};
