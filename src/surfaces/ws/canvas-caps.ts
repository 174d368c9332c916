import { randomFillSync } from 'node:crypto';
import { sha256Base64url } from '../../core/sha256.js';

// The canvas host's capabilities (web-surfaces.md C5). A node socket that declared cap `canvas`, or an
// operator socket holding operator.read, gets one in its hello-ok as `pluginSurfaceUrls.canvas`. A capability
// is 18 random bytes in base64url (24 characters), kept only as its SHA-256; it expires 10 minutes after it
// was issued or last used successfully, and dies with the connection it was issued to. Capabilities never
// reach a log line.

/** How capabilities are kept. */
export interface CanvasCapsOptions {
  /** Epoch ms (tests inject a clock). */
  now?: () => number;
  ttlMs?: number;
}

interface Entry {
  connId: string;
  expiresAtMs: number;
  /** Open live-reload sockets on this capability: while any is open it counts as in use. */
  pins: number;
}

/** How often issuing a capability also drops the expired ones. */
const SWEEP_EVERY_MS = 60_000;

const hashOf = sha256Base64url;

const CAP_BYTES = 18;
/** Random bytes drawn from the CSPRNG in blocks: one randomBytes call per handshake cost ~30 µs of it. */
const pool = Buffer.alloc(CAP_BYTES * 256);
let poolOffset = pool.length;

/** 18 fresh random bytes as base64url; a pool byte is never handed out twice. */
function freshCap(): string {
  if (poolOffset + CAP_BYTES > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const cap = pool.toString('base64url', poolOffset, poolOffset + CAP_BYTES);
  poolOffset += CAP_BYTES;
  return cap;
}

/** The live canvas capabilities, one per connection. */
export class CanvasCaps {
  private readonly now: () => number;
  private readonly ttlMs: number;
  private readonly byHash = new Map<string, Entry>();
  private readonly byConn = new Map<string, string>();
  private lastSweepMs = Number.NEGATIVE_INFINITY;

  constructor(opts: CanvasCapsOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.ttlMs = opts.ttlMs ?? 600_000;
  }

  /** A fresh capability for this connection (replaces the one it held). */
  issue(connId: string): string {
    // expired capabilities of live connections are only memory (use() checks expiry itself): sweeping them at
    // every issue made each handshake O(connections); once a minute is enough
    if (this.now() - this.lastSweepMs >= SWEEP_EVERY_MS) this.sweep();
    const old = this.byConn.get(connId);
    if (old) this.byHash.delete(old);
    const cap = freshCap();
    const hash = hashOf(cap);
    this.byHash.set(hash, { connId, expiresAtMs: this.now() + this.ttlMs, pins: 0 });
    this.byConn.set(connId, hash);
    return cap;
  }

  /** Whether `cap` is live now; a successful use extends its life by the TTL. */
  use(cap: string): boolean {
    if (!cap) return false;
    const entry = this.byHash.get(hashOf(cap));
    if (!entry) return false;
    if (entry.pins === 0 && entry.expiresAtMs <= this.now()) {
      this.drop(entry.connId);
      return false;
    }
    entry.expiresAtMs = this.now() + this.ttlMs;
    return true;
  }

  /** Keeps a live capability in use until the returned release is called (an open live-reload socket);
   *  its 10 minutes start again at the release. Nothing for a capability that is not live. */
  pin(cap: string): () => void {
    const entry = cap ? this.byHash.get(hashOf(cap)) : undefined;
    if (!entry) return () => {};
    entry.pins += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      entry.pins -= 1;
      entry.expiresAtMs = this.now() + this.ttlMs;
    };
  }

  /** The connection is gone: its capability dies with it. */
  connectionClosed(connId: string): void {
    this.drop(connId);
  }

  /** Capabilities held (tests and metrics). */
  get size(): number {
    return this.byHash.size;
  }

  private drop(connId: string): void {
    const hash = this.byConn.get(connId);
    if (hash) this.byHash.delete(hash);
    this.byConn.delete(connId);
  }

  private sweep(): void {
    const now = this.now();
    this.lastSweepMs = now;
    for (const [, e] of this.byHash) if (e.pins === 0 && e.expiresAtMs <= now) this.drop(e.connId);
  }
}
