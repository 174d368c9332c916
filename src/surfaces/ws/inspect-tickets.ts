import { createHash, randomBytes } from 'node:crypto';

// The inspector's stream tickets (web-surfaces.md I4). `clawgate.inspect.ticket` issues one to an operator.admin
// connection; `WS /__clawgate__/inspect/ws?ticket=<t>` spends it. A ticket is 32 random bytes in base64url,
// kept only as its SHA-256; single-use; valid for 60 s; bound to the connection that asked for it, which may
// hold 4 open tickets (a fifth revokes the oldest). When that connection closes, its unused tickets die and
// its open streams are closed (4001). Tickets never reach a log line.

/** How tickets are issued. */
export interface InspectTicketOptions {
  /** Epoch ms (tests inject a clock). */
  now?: () => number;
  ttlMs?: number;
  /** Open tickets per connection. */
  perConnection?: number;
}

/** An issued ticket, as `clawgate.inspect.ticket` returns it. */
export interface IssuedTicket {
  ticket: string;
  expiresAtMs: number;
}

interface Entry {
  connId: string;
  expiresAtMs: number;
}

/** A ticket's lookup key: what is stored instead of the ticket. */
const hashOf = (ticket: string) => createHash('sha256').update(ticket).digest('base64url');

/** The tickets of the inspector stream; see the file comment. */
export class InspectTickets {
  private readonly now: () => number;
  private readonly ttlMs: number;
  private readonly perConnection: number;
  private readonly byHash = new Map<string, Entry>();
  /** Open ticket hashes per connection, oldest first. */
  private readonly byConn = new Map<string, string[]>();
  /** Streams to close when their issuing connection closes. */
  private readonly owners = new Map<string, Set<() => void>>();

  constructor(opts: InspectTicketOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.perConnection = opts.perConnection ?? 4;
  }

  /** A new ticket for this connection. */
  issue(connId: string): IssuedTicket {
    this.sweep();
    const ticket = randomBytes(32).toString('base64url');
    const hash = hashOf(ticket);
    const expiresAtMs = this.now() + this.ttlMs;
    this.byHash.set(hash, { connId, expiresAtMs });
    const open = this.byConn.get(connId) ?? [];
    open.push(hash);
    while (open.length > this.perConnection) this.byHash.delete(open.shift()!);
    this.byConn.set(connId, open);
    return { ticket, expiresAtMs };
  }

  /** Would this ticket be accepted now? (checked before the upgrade; spent by {@link consume}.) */
  check(ticket: string): string | undefined {
    const entry = ticket ? this.byHash.get(hashOf(ticket)) : undefined;
    if (!entry || entry.expiresAtMs <= this.now()) return undefined;
    return entry.connId;
  }

  /** Spends a valid ticket: the issuing connection's id, or undefined (unknown, used, expired, orphaned). */
  consume(ticket: string): string | undefined {
    const connId = this.check(ticket);
    if (connId === undefined) return undefined;
    const hash = hashOf(ticket);
    this.byHash.delete(hash);
    const open = this.byConn.get(connId)?.filter((h) => h !== hash) ?? [];
    if (open.length) this.byConn.set(connId, open);
    else this.byConn.delete(connId);
    return connId;
  }

  /** Calls `close` when connection `connId` closes; returns the function that stops watching. */
  watchOwner(connId: string, close: () => void): () => void {
    let set = this.owners.get(connId);
    if (!set) this.owners.set(connId, (set = new Set()));
    set.add(close);
    return () => {
      set.delete(close);
      if (set.size === 0 && this.owners.get(connId) === set) this.owners.delete(connId);
    };
  }

  /** Connection `connId` closed: its tickets die and its streams close. */
  connectionClosed(connId: string): void {
    for (const hash of this.byConn.get(connId) ?? []) this.byHash.delete(hash);
    this.byConn.delete(connId);
    const streams = this.owners.get(connId);
    this.owners.delete(connId);
    for (const close of streams ?? []) close();
  }

  /** Tickets not yet spent or expired (tests). */
  get size(): number {
    return this.byHash.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [connId, open] of this.byConn) {
      const live = open.filter((h) => (this.byHash.get(h)?.expiresAtMs ?? 0) > now);
      for (const h of open) if (!live.includes(h)) this.byHash.delete(h);
      if (live.length) this.byConn.set(connId, live);
      else this.byConn.delete(connId);
    }
  }
}
