import { createHash, createHmac, randomBytes, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './db.js';

// Paired devices, pending pairing requests and device tokens, in SQLite.
//
// Tokens are never stored: the table holds their SHA-256. A token is HMAC(key, device, role, generation)
// with a key kept in its own 0600 file, so hello can hand a device the same token on every reconnect
// (never rotated by a plain reconnect) while a copy of the database alone reveals no token.

/** A device the owner (or silent local pairing) approved, with the roles and scopes it was granted. */
export interface PairedDevice extends PairingClient {
  deviceId: string;
  publicKey: string;
  remoteIp?: string;
  roles: string[];
  scopes: string[];
  approvedVia: 'silent' | 'owner';
  createdAtMs: number;
  approvedAtMs: number;
  lastSeenAtMs?: number;
  lastSeenReason?: string;
}

/** What is known of a device's token for one role (never the token itself). */
export interface DeviceTokenInfo {
  role: string;
  scopes: string[];
  createdAtMs: number;
  rotatedAtMs?: number;
  lastUsedAtMs?: number;
  revokedAtMs?: number;
}

/** What a device says about itself in its connect, kept with its pairing. */
export interface PairingClient {
  displayName?: string;
  platform?: string;
  deviceFamily?: string;
  clientId?: string;
  clientMode?: string;
  browserOrigin?: string;
}

/** A device's pending request to be paired, or to get more roles, scopes or changed metadata. */
export interface PairingRequest {
  requestId: string;
  deviceId: string;
  publicKey: string;
  role: string;
  scopes: string[];
  reason: 'not-paired' | 'role-upgrade' | 'scope-upgrade' | 'metadata-upgrade';
  client: PairingClient;
  remoteIp?: string;
  isRepair: boolean;
  ts: number;
}

/** How long a pairing request waits for the owner before it is dropped. */
export const PENDING_TTL_MS = 300_000;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const json = (v: unknown) => JSON.stringify(v);
const opt = <T>(v: T | null) => (v === null ? undefined : v);

interface DeviceRow {
  device_id: string; public_key: string; display_name: string | null; platform: string | null;
  device_family: string | null; client_id: string | null; client_mode: string | null; browser_origin: string | null;
  remote_ip: string | null; roles: string; scopes: string; approved_via: 'silent' | 'owner';
  created_at: number; approved_at: number; last_seen_at: number | null; last_seen_reason: string | null;
}

interface TokenRow {
  role: string; token_hash: string; generation: number; scopes: string; created_at: number;
  rotated_at: number | null; last_used_at: number | null; revoked_at: number | null;
}

/** Paired devices, pending pairing requests and device tokens (stored as hashes). */
export class DeviceStore {
  private readonly key: Buffer;

  constructor(private readonly db: Db, stateDir: string, private readonly now: () => number = Date.now) {
    const keyFile = join(stateDir, 'device-token.key');
    if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32), { mode: 0o600, flag: 'wx' });
    this.key = readFileSync(keyFile);
  }

  get(deviceId: string): PairedDevice | undefined {
    const row = this.db.prepare('SELECT * FROM devices WHERE device_id = ?').get(deviceId) as DeviceRow | undefined;
    return row && toDevice(row);
  }

  list(): PairedDevice[] {
    return (this.db.prepare('SELECT * FROM devices ORDER BY approved_at').all() as DeviceRow[]).map(toDevice);
  }

  /** Approve a device for a role and scopes (added to what it already had). */
  approve(req: Pick<PairingRequest, 'deviceId' | 'publicKey' | 'role' | 'scopes' | 'client' | 'remoteIp'>, via: 'silent' | 'owner'): PairedDevice {
    const now = this.now();
    const prev = this.get(req.deviceId);
    const roles = [...new Set([...(prev?.roles ?? []), req.role])];
    const scopes = [...new Set([...(prev?.scopes ?? []), ...req.scopes])];
    const c = req.client;
    this.db.prepare(`INSERT INTO devices (device_id, public_key, display_name, platform, device_family, client_id, client_mode,
        browser_origin, remote_ip, roles, scopes, approved_via, created_at, approved_at, last_seen_at, last_seen_reason)
      VALUES (@id, @pk, @dn, @pf, @df, @ci, @cm, @bo, @ip, @roles, @scopes, @via, @now, @now, @now, 'paired')
      ON CONFLICT(device_id) DO UPDATE SET public_key=@pk, display_name=@dn, platform=@pf, device_family=@df, client_id=@ci,
        client_mode=@cm, browser_origin=@bo, remote_ip=@ip, roles=@roles, scopes=@scopes, approved_via=@via, approved_at=@now`)
      .run({
        id: req.deviceId, pk: req.publicKey, dn: c.displayName ?? null, pf: c.platform ?? null, df: c.deviceFamily ?? null,
        ci: c.clientId ?? null, cm: c.clientMode ?? null, bo: c.browserOrigin ?? null, ip: req.remoteIp ?? null,
        roles: json(roles), scopes: json(scopes), via, now,
      });
    return this.get(req.deviceId)!;
  }

  remove(deviceId: string): boolean {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM pairing_requests WHERE device_id = ?').run(deviceId);
      return this.db.prepare('DELETE FROM devices WHERE device_id = ?').run(deviceId).changes > 0;
    })();
  }

  seen(deviceId: string, reason: string): void {
    this.db.prepare('UPDATE devices SET last_seen_at = ?, last_seen_reason = ? WHERE device_id = ?').run(this.now(), reason, deviceId);
  }

  // ── pending requests ───────────────────────────────────────────────────────────────────────────

  pending(): PairingRequest[] {
    this.db.prepare('DELETE FROM pairing_requests WHERE ts < ?').run(this.now() - PENDING_TTL_MS);
    return (this.db.prepare('SELECT * FROM pairing_requests ORDER BY ts').all() as Record<string, unknown>[]).map(toRequest);
  }

  pendingById(requestId: string): PairingRequest | undefined {
    return this.pending().find((r) => r.requestId === requestId);
  }

  /** A pending request of this device for the same role and scopes is reused, not duplicated. */
  requestPairing(req: Omit<PairingRequest, 'requestId' | 'ts'>): { request: PairingRequest; created: boolean } {
    const same = this.pending().find((r) => r.deviceId === req.deviceId && r.role === req.role
      && json([...r.scopes].sort()) === json([...req.scopes].sort()));
    if (same) return { request: same, created: false };
    const request: PairingRequest = { ...req, requestId: randomUUID(), ts: this.now() };
    this.db.prepare(`INSERT INTO pairing_requests (request_id, device_id, public_key, role, scopes, reason, client, remote_ip, is_repair, ts)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(request.requestId, request.deviceId, request.publicKey, request.role,
      json(request.scopes), request.reason, json(request.client), request.remoteIp ?? null, request.isRepair ? 1 : 0, request.ts);
    return { request, created: true };
  }

  dropRequest(requestId: string): boolean {
    return this.db.prepare('DELETE FROM pairing_requests WHERE request_id = ?').run(requestId).changes > 0;
  }

  // ── tokens ─────────────────────────────────────────────────────────────────────────────────────

  tokens(deviceId: string): DeviceTokenInfo[] {
    return (this.db.prepare('SELECT * FROM device_tokens WHERE device_id = ? ORDER BY role').all(deviceId) as TokenRow[]).map(toTokenInfo);
  }

  /** The device's token for a role, issued on first need; the same token on every later call. */
  ensureToken(deviceId: string, role: string, scopes: string[]): { token: string; issuedAtMs: number } {
    const row = this.tokenRow(deviceId, role);
    if (row && row.revoked_at === null) {
      if (json(JSON.parse(row.scopes)) !== json(scopes)) {
        this.db.prepare('UPDATE device_tokens SET scopes = ? WHERE device_id = ? AND role = ?').run(json(scopes), deviceId, role);
      }
      return { token: this.derive(deviceId, role, row.generation), issuedAtMs: row.rotated_at ?? row.created_at };
    }
    return this.issue(deviceId, role, scopes, nextGeneration(row), row !== undefined);
  }

  /** A new token for (device, role); the old one stops working at once. */
  rotate(deviceId: string, role: string, scopes?: string[]): { token: string; scopes: string[]; rotatedAtMs: number } {
    const row = this.tokenRow(deviceId, role);
    const next = scopes ?? (row ? JSON.parse(row.scopes) : []);
    const { token, issuedAtMs } = this.issue(deviceId, role, next, nextGeneration(row), true);
    return { token, scopes: next, rotatedAtMs: issuedAtMs };
  }

  revoke(deviceId: string, role: string): number | undefined {
    const now = this.now();
    const changed = this.db.prepare('UPDATE device_tokens SET revoked_at = ? WHERE device_id = ? AND role = ? AND revoked_at IS NULL')
      .run(now, deviceId, role).changes;
    return changed > 0 ? now : undefined;
  }

  /** The token's grant if it is the current, unrevoked token of (device, role). Compared in constant time. */
  verifyToken(deviceId: string, role: string, token: string): DeviceTokenInfo | undefined {
    const row = this.tokenRow(deviceId, role);
    if (!row || row.revoked_at !== null) return undefined;
    const want = Buffer.from(row.token_hash, 'hex');
    const got = Buffer.from(sha256(token), 'hex');
    if (!timingSafeEqual(want, got)) return undefined;
    this.db.prepare('UPDATE device_tokens SET last_used_at = ? WHERE device_id = ? AND role = ?').run(this.now(), deviceId, role);
    return toTokenInfo(row);
  }

  private tokenRow(deviceId: string, role: string): TokenRow | undefined {
    return this.db.prepare('SELECT * FROM device_tokens WHERE device_id = ? AND role = ?').get(deviceId, role) as TokenRow | undefined;
  }

  private issue(deviceId: string, role: string, scopes: string[], generation: number, rotated: boolean) {
    const now = this.now();
    const token = this.derive(deviceId, role, generation);
    this.db.prepare(`INSERT INTO device_tokens (device_id, role, token_hash, generation, scopes, created_at, rotated_at)
      VALUES (@d, @r, @h, @g, @s, @now, @rot)
      ON CONFLICT(device_id, role) DO UPDATE SET token_hash=@h, generation=@g, scopes=@s, rotated_at=@now, revoked_at=NULL`)
      .run({ d: deviceId, r: role, h: sha256(token), g: generation, s: json(scopes), now, rot: rotated ? now : null });
    return { token, issuedAtMs: now };
  }

  private derive(deviceId: string, role: string, generation: number): string {
    return createHmac('sha256', this.key).update(`${deviceId}\n${role}\n${generation}`).digest('base64url');
  }
}

/**
 * The generation of the next token of (device, role). A first token starts at an unpredictable generation:
 * removing a device drops its token rows, and a re-paired device must never be handed its old token again.
 */
function nextGeneration(row: TokenRow | undefined): number {
  return row ? row.generation + 1 : randomInt(1, 2 ** 47);
}

function toDevice(r: DeviceRow): PairedDevice {
  return {
    deviceId: r.device_id, publicKey: r.public_key, displayName: opt(r.display_name), platform: opt(r.platform),
    deviceFamily: opt(r.device_family), clientId: opt(r.client_id), clientMode: opt(r.client_mode),
    browserOrigin: opt(r.browser_origin), remoteIp: opt(r.remote_ip), roles: JSON.parse(r.roles), scopes: JSON.parse(r.scopes),
    approvedVia: r.approved_via, createdAtMs: r.created_at, approvedAtMs: r.approved_at,
    lastSeenAtMs: opt(r.last_seen_at), lastSeenReason: opt(r.last_seen_reason),
  };
}

function toTokenInfo(r: TokenRow): DeviceTokenInfo {
  return {
    role: r.role, scopes: JSON.parse(r.scopes), createdAtMs: r.created_at,
    rotatedAtMs: opt(r.rotated_at), lastUsedAtMs: opt(r.last_used_at), revokedAtMs: opt(r.revoked_at),
  };
}

function toRequest(r: Record<string, unknown>): PairingRequest {
  return {
    requestId: r.request_id as string, deviceId: r.device_id as string, publicKey: r.public_key as string,
    role: r.role as string, scopes: JSON.parse(r.scopes as string), reason: r.reason as PairingRequest['reason'],
    client: JSON.parse(r.client as string), remoteIp: opt(r.remote_ip as string | null), isRepair: r.is_repair === 1, ts: r.ts as number,
  };
}
