import { randomUUID } from 'node:crypto';
import type { NodeSurface } from '../core/node-surface.js';
import type { Db } from './db.js';

// Node capability approval (openclaw-protocol.md §11.2), the second layer after device pairing: the surface
// (caps, commands, permissions) an operator approved per node, and the node pairing requests waiting for
// approval. Requests do not expire. Both survive restarts; removing the device removes both (foreign key).

/** What a node says about itself in its connect, kept with its approval or request. */
export interface NodeClientInfo {
  displayName?: string;
  platform?: string;
  version?: string;
  deviceFamily?: string;
  clientId?: string;
  clientMode?: string;
}

/** A node's approved surface. */
export interface ApprovedNode extends NodeSurface {
  nodeId: string;
  client: NodeClientInfo;
  approvedAtMs: number;
  lastConnectedAtMs?: number;
  lastSeenAtMs?: number;
  lastSeenReason?: string;
}

/** A node's declared surface waiting for an operator's approval. */
export interface NodePairingRequest extends NodeSurface {
  requestId: string;
  nodeId: string;
  client: NodeClientInfo;
  /** The device itself was paired silently (direct-local). */
  silent: boolean;
  ts: number;
}

interface SurfaceRow {
  node_id: string; caps: string; commands: string; permissions: string; client: string; approved_at: number;
  last_connected_at: number | null; last_seen_at: number | null; last_seen_reason: string | null;
}

interface RequestRow {
  request_id: string; node_id: string; caps: string; commands: string; permissions: string; client: string;
  silent: number; ts: number;
}

const json = (v: unknown) => JSON.stringify(v);
const opt = <T>(v: T | null) => (v === null ? undefined : v);
const sorted = (s: NodeSurface) => json([[...s.caps].sort(), [...s.commands].sort(), Object.entries(s.permissions).sort()]);

/** Approved node surfaces and pending node pairing requests. */
export class NodeStore {
  constructor(private readonly db: Db, private readonly now: () => number = Date.now) {}

  approved(nodeId: string): ApprovedNode | undefined {
    const row = this.db.prepare('SELECT * FROM node_surfaces WHERE node_id = ?').get(nodeId) as SurfaceRow | undefined;
    return row && toApproved(row);
  }

  listApproved(): ApprovedNode[] {
    return (this.db.prepare('SELECT * FROM node_surfaces ORDER BY approved_at').all() as SurfaceRow[]).map(toApproved);
  }

  /** Approve a request: its surface is added to what the node already had, and the request is gone. */
  approve(req: NodePairingRequest): ApprovedNode {
    return this.db.transaction(() => {
      const prev = this.approved(req.nodeId);
      const surface: NodeSurface = {
        caps: [...new Set([...(prev?.caps ?? []), ...req.caps])],
        commands: [...new Set([...(prev?.commands ?? []), ...req.commands])],
        permissions: { ...(prev?.permissions ?? {}), ...req.permissions },
      };
      this.db.prepare(`INSERT INTO node_surfaces (node_id, caps, commands, permissions, client, approved_at)
        VALUES (@id, @caps, @commands, @permissions, @client, @now)
        ON CONFLICT(node_id) DO UPDATE SET caps=@caps, commands=@commands, permissions=@permissions, client=@client, approved_at=@now`)
        .run({
          id: req.nodeId, caps: json(surface.caps), commands: json(surface.commands), permissions: json(surface.permissions),
          client: json(req.client), now: this.now(),
        });
      this.db.prepare('DELETE FROM node_pairing_requests WHERE request_id = ?').run(req.requestId);
      return this.approved(req.nodeId)!;
    })();
  }

  /** Forget the node's approval and its pending requests. */
  remove(nodeId: string): boolean {
    return this.db.transaction(() => {
      const requests = this.db.prepare('DELETE FROM node_pairing_requests WHERE node_id = ?').run(nodeId).changes;
      return this.db.prepare('DELETE FROM node_surfaces WHERE node_id = ?').run(nodeId).changes + requests > 0;
    })();
  }

  /** Record a connect or disconnect of an approved node (client info refreshed on connect). */
  seen(nodeId: string, reason: string, client?: NodeClientInfo): void {
    const now = this.now();
    if (client) {
      this.db.prepare('UPDATE node_surfaces SET client = ?, last_connected_at = ?, last_seen_at = ?, last_seen_reason = ? WHERE node_id = ?')
        .run(json(client), now, now, reason, nodeId);
    } else {
      this.db.prepare('UPDATE node_surfaces SET last_seen_at = ?, last_seen_reason = ? WHERE node_id = ?').run(now, reason, nodeId);
    }
  }

  // ── pending requests ───────────────────────────────────────────────────────────────────────────

  pending(): NodePairingRequest[] {
    return (this.db.prepare('SELECT * FROM node_pairing_requests ORDER BY ts').all() as RequestRow[]).map(toRequest);
  }

  pendingById(requestId: string): NodePairingRequest | undefined {
    const row = this.db.prepare('SELECT * FROM node_pairing_requests WHERE request_id = ?').get(requestId) as RequestRow | undefined;
    return row && toRequest(row);
  }

  pendingFor(nodeId: string): NodePairingRequest | undefined {
    const row = this.db.prepare('SELECT * FROM node_pairing_requests WHERE node_id = ? ORDER BY ts DESC').get(nodeId) as RequestRow | undefined;
    return row && toRequest(row);
  }

  /**
   * The node's pending request for this surface: an identical one is reused; one for another surface is
   * replaced (a node has at most one request waiting: the surface it declares now).
   */
  request(nodeId: string, surface: NodeSurface, client: NodeClientInfo, silent: boolean): { request: NodePairingRequest; created: boolean } {
    return this.db.transaction(() => {
      const same = this.pendingFor(nodeId);
      if (same && sorted(same) === sorted(surface)) return { request: same, created: false };
      this.db.prepare('DELETE FROM node_pairing_requests WHERE node_id = ?').run(nodeId);
      const request: NodePairingRequest = { requestId: randomUUID(), nodeId, ...surface, client, silent, ts: this.now() };
      this.db.prepare(`INSERT INTO node_pairing_requests (request_id, node_id, caps, commands, permissions, client, silent, ts)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(request.requestId, nodeId, json(surface.caps), json(surface.commands),
        json(surface.permissions), json(client), silent ? 1 : 0, request.ts);
      return { request, created: true };
    })();
  }

  dropRequest(requestId: string): boolean {
    return this.db.prepare('DELETE FROM node_pairing_requests WHERE request_id = ?').run(requestId).changes > 0;
  }
}

function toApproved(r: SurfaceRow): ApprovedNode {
  return {
    nodeId: r.node_id, caps: JSON.parse(r.caps), commands: JSON.parse(r.commands), permissions: JSON.parse(r.permissions),
    client: JSON.parse(r.client), approvedAtMs: r.approved_at, lastConnectedAtMs: opt(r.last_connected_at),
    lastSeenAtMs: opt(r.last_seen_at), lastSeenReason: opt(r.last_seen_reason),
  };
}

function toRequest(r: RequestRow): NodePairingRequest {
  return {
    requestId: r.request_id, nodeId: r.node_id, caps: JSON.parse(r.caps), commands: JSON.parse(r.commands),
    permissions: JSON.parse(r.permissions), client: JSON.parse(r.client), silent: r.silent === 1, ts: r.ts,
  };
}
