import type { NodeSurface } from '../machines/node.js';
import type { ApprovedNode, NodeClientInfo, NodePairingRequest } from '../store/nodes.js';
import { isAdminCommand } from '../policy/node-commands.js';

// The wire shapes of nodes (openclaw-protocol.md §11.2, §11.5, §15.1): node.list / node.describe entries,
// node pairing requests (node.pair.list and the node.pair.requested event) and approved nodes.

/** What the registry knows about a connected node. */
export interface LiveNodeInfo {
  nodeId: string;
  client: NodeClientInfo;
  declared: NodeSurface;
  /** The node's declared surface is approved (the machine is in `approved`). */
  approved: boolean;
  connectedAtMs: number;
  lastSeenAtMs: number;
  lastSeenReason: string;
  hostStats?: Record<string, unknown>;
}

/** A node's `approvalState` on node.list / node.describe. */
export type ApprovalState = 'approved' | 'pending-approval' | 'pending-reapproval' | 'unapproved';

const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== ''));

/** Scopes an operator needs to approve a surface: host-execution commands also need operator.admin. */
export function requiredApproveScopes(commands: readonly string[]): string[] {
  return ['operator.pairing', 'operator.write', ...(commands.some(isAdminCommand) ? ['operator.admin'] : [])];
}

function clientFields(c: NodeClientInfo): Record<string, unknown> {
  return defined({
    displayName: c.displayName, platform: c.platform, version: c.version, clientId: c.clientId, clientMode: c.clientMode,
    deviceFamily: c.deviceFamily,
  });
}

/** node.pair.list `pending[]` entry and the node.pair.requested payload. */
export function requestView(r: NodePairingRequest): Record<string, unknown> {
  return {
    requestId: r.requestId, nodeId: r.nodeId, ...clientFields(r.client), caps: r.caps, commands: r.commands,
    requiredApproveScopes: requiredApproveScopes(r.commands), permissions: r.permissions, silent: r.silent, ts: r.ts,
  };
}

/** node.pair.list `paired[]` entry and node.pair.approve `node`. */
export function approvedView(n: ApprovedNode, connected: boolean): Record<string, unknown> {
  return {
    nodeId: n.nodeId, ...clientFields(n.client), caps: n.caps, commands: n.commands, permissions: n.permissions,
    approvedAtMs: n.approvedAtMs, ...defined({ lastConnectedAtMs: n.lastConnectedAtMs }), connected,
  };
}

/** Everything known about one node id, from the live registry and the store, to build its wire entry. */
export interface NodeFacts {
  nodeId: string;
  live?: LiveNodeInfo;
  approved?: ApprovedNode;
  pending?: NodePairingRequest;
  /** The device is paired (first layer). */
  paired: boolean;
}

/** Approved if its live surface is (or, offline, a surface was) approved; else pending while a request waits; else unapproved. */
export function approvalState(f: NodeFacts): ApprovalState {
  if (f.live?.approved) return 'approved';
  if (f.pending) return f.approved ? 'pending-reapproval' : 'pending-approval';
  if (f.approved && !f.live) return 'approved';
  return 'unapproved';
}

/** A node.list / node.describe entry. Only an approved surface is shown as caps/commands. */
export function nodeEntry(f: NodeFacts): Record<string, unknown> {
  const state = approvalState(f);
  const client = f.live?.client ?? f.approved?.client ?? f.pending?.client ?? {};
  const empty: NodeSurface = { caps: [], commands: [], permissions: {} };
  const surface = f.live?.approved ? f.live.declared : f.approved ?? empty;
  return {
    nodeId: f.nodeId, ...clientFields(client),
    caps: surface.caps, commands: surface.commands, sessionHost: false, nodePluginTools: [], permissions: surface.permissions,
    approvalState: state,
    ...(f.pending ? {
      pendingRequestId: f.pending.requestId, pendingDeclaredCaps: f.pending.caps, pendingDeclaredCommands: f.pending.commands,
      pendingDeclaredPermissions: f.pending.permissions,
    } : {}),
    ...defined({
      connectedAtMs: f.live?.connectedAtMs,
      lastConnectedAtMs: f.live?.connectedAtMs ?? f.approved?.lastConnectedAtMs,
      lastSeenAtMs: f.live?.lastSeenAtMs ?? f.approved?.lastSeenAtMs,
      lastSeenReason: f.live?.lastSeenReason ?? f.approved?.lastSeenReason,
      approvedAtMs: f.approved?.approvedAtMs,
    }),
    paired: f.paired, connected: f.live !== undefined,
    ...(f.live?.hostStats ? { hostStats: f.live.hostStats } : {}),
  };
}
