import { type KV, type KvWatchEntry, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ChannelStateKey, ChannelStateRow, ChannelStateTables } from '../core/channel-state.js';
import type { Logger } from '../core/log.js';
import { CHANNEL_STATE_BUCKET, sessionKeyOf, sessionToken } from './subjects.js';

// The cluster's copy of the shared channel state (core/channel-state.ts: pairing requests, approved senders,
// group activation): KV bucket `clawgate-channel-state`, one key per row — `pairing.<t>` / `allow.<t>` with
// <t> the token of [channel, account, sender], `activation.<t>` with the session key's — whose value is the
// row's JSON, or `null` once the row is gone (a put, not a KV delete, so that every write has a revision).
// Every instance mirrors the bucket into its own SQLite tables (a watch from the start, each entry applied
// whole: idempotent), so the channel pipeline keeps reading them synchronously.
//
// A local change is reported (inside its transaction) by key; the next macrotask — the transaction has
// committed or rolled back by then — reads the row as it is and puts it. The rule is last writer wins, in the
// order the server gives the writes (the KV revision): while a key has a local change not yet stored, entries
// of it from the watch are held back (our write comes after them, or the last of them comes after ours and is
// applied once ours is stored); afterwards an entry older than our write is skipped. Two instances changing
// one row at the same moment end with the later write everywhere. A write that fails (NATS unreachable) is
// tried again every second until it is stored or the mirror closes.
//
// At start the whole bucket is applied before the channels start. Then what only this instance has: an
// approval or an activation (never deleted in the cluster) is put, so a gateway that ran alone keeps them; a
// pairing request the bucket does not know is deleted (it was approved or pruned elsewhere meanwhile, and a
// request is worth little: the sender gets a new code at their next DM).

/** How long the initial load of the bucket may take before start-up fails. */
const LOAD_TIMEOUT_MS = 5000;
/** A write that failed is tried again after this long. */
const RETRY_MS = 1000;

/** The mirror between this instance's channel state tables and the cluster's bucket. */
export interface ChannelStateMirror {
  /** Report a local change of a row (called in its transaction: it is written to the cluster after it). */
  changed(key: ChannelStateKey): void;
  /** Resolves once every local change reported so far was written (or failed to be: it is tried again later). */
  flushed(): Promise<void>;
  /**
   * Writes what is reported and not yet stored (one try: while NATS is unreachable it is given up, and the
   * next start puts approvals and activations again), then stops watching.
   */
  close(): Promise<void>;
}

/** The KV key of a row; see the file comment. */
export function channelStateKvKey(key: ChannelStateKey): string {
  const id = key.table === 'activation' ? key.sessionKey : JSON.stringify([key.channel, key.accountId, key.senderId]);
  return `${key.table}.${sessionToken(id)}`;
}

/** The row key of a KV key; throws for a key channelStateKvKey() cannot have produced. */
export function channelStateKeyOf(kvKey: string): ChannelStateKey {
  const [table, token, ...rest] = kvKey.split('.');
  const id = rest.length === 0 && token !== undefined && /^[A-Za-z0-9_-]+$/.test(token) ? tryDecode(token) : undefined;
  if (id !== undefined) {
    if (table === 'activation') return { table, sessionKey: id };
    if (table === 'pairing' || table === 'allow') {
      const parts = tryParse(id);
      if (Array.isArray(parts) && parts.length === 3 && parts.every((p) => typeof p === 'string')) {
        const [channel, accountId, senderId] = parts as [string, string, string];
        return { table, channel: channel as never, accountId, senderId };
      }
    }
  }
  throw new Error(`not a channel state key: "${kvKey}"`);
}

/** Opens (creates if needed) the bucket, applies it to `tables` and keeps them in step; see the file comment. */
export async function openChannelStateMirror(nc: NatsConnection, tables: ChannelStateTables,
  opts: { log: Logger; bucket?: string }): Promise<ChannelStateMirror> {
  const kv = await new Kvm(nc).create(opts.bucket ?? CHANNEL_STATE_BUCKET, { history: 1 });
  const { log } = opts;
  /** Keys with a local change not yet stored: the entries the watch gave meanwhile, the last one held back. */
  const pending = new Map<string, { key: ChannelStateKey; held?: KvWatchEntry }>();
  /** The revision of our last write per key: older entries from the watch are skipped. */
  const floor = new Map<string, number>();
  let closed = false;
  let scheduled = false;
  let writing: Promise<void> = Promise.resolve();
  let retry: NodeJS.Timeout | undefined;

  /** The row (JSON) the cluster last had for each key, as far as this instance knows (none: `null`). */
  const known = new Map<string, string>();

  const apply = (e: KvWatchEntry) => {
    if ((floor.get(e.key) ?? 0) > e.revision) return;
    try {
      const key = channelStateKeyOf(e.key);
      const row = e.operation === 'PUT' ? e.json<ChannelStateRow>() : null;
      tables.apply(key, row);
      known.set(e.key, JSON.stringify(row));
    } catch (err) {
      log.warn({ err, key: e.key }, 'channel state: an entry of the cluster could not be applied');
    }
  };

  const write = async (kvKey: string, key: ChannelStateKey) => {
    const row = JSON.stringify(tables.read(key));
    // unchanged (the change was rolled back): nothing to write, and a held entry from another instance applies
    if (row === (known.get(kvKey) ?? 'null')) return;
    const revision = await kv.put(kvKey, row);
    floor.set(kvKey, revision);
    known.set(kvKey, row);
  };

  const flush = async () => {
    scheduled = false;
    let failed = false;
    for (const [kvKey, entry] of [...pending]) {
      try {
        await write(kvKey, entry.key);
      } catch (err) {
        if (!failed) log.warn({ err }, closed ? 'channel state: a change could not be written to the cluster before the close'
          : 'channel state: a change could not be written to the cluster; trying again');
        failed = true;
        if (closed) break; // closing: one try each, no waiting for NATS to come back
        continue;
      }
      // a change reported while the write was under way is written by the next flush
      if (pending.get(kvKey) !== entry) continue;
      pending.delete(kvKey);
      if (entry.held) apply(entry.held);
    }
    if (failed && !closed) retry = setTimeout(schedule, RETRY_MS);
  };

  function schedule() {
    if (scheduled || closed) return;
    scheduled = true;
    // after the reporting transaction (the next macrotask), and one flush at a time
    writing = writing.then(() => new Promise<void>((r) => setImmediate(r))).then(flush);
  }

  const loaded = new Set<string>();
  const { lastSeq, empty } = await lastRevision(kv);
  const watch = await kv.watch();
  let timer: NodeJS.Timeout | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    if (empty) resolve();
    timer = setTimeout(() => reject(new Error(`the channel state bucket was not loaded within ${LOAD_TIMEOUT_MS} ms`)), LOAD_TIMEOUT_MS);
    void (async () => {
      for await (const e of watch) {
        const own = pending.get(e.key);
        if (own) own.held = e;
        else apply(e);
        loaded.add(e.key);
        if (e.revision >= lastSeq) resolve();
      }
    })().catch((err: unknown) => {
      if (!closed) log.warn({ err }, 'channel state: the watch of the cluster stopped');
      reject(err);
    });
  });
  try {
    await ready;
  } catch (err) {
    watch.stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }

  const mirror: ChannelStateMirror = {
    changed(key) {
      const kvKey = channelStateKvKey(key);
      pending.set(kvKey, { key });
      schedule();
    },
    async flushed() {
      let w: Promise<void>;
      do { w = writing; await w; } while (w !== writing);
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      if (pending.size > 0) { scheduled = false; writing = writing.then(flush); }
      await writing;
      watch.stop();
    },
  };

  // what only this instance has (see the file comment)
  for (const table of ['allow', 'activation'] as const) {
    for (const key of tables.keys(table)) if (!loaded.has(channelStateKvKey(key))) mirror.changed(key);
  }
  for (const key of tables.keys('pairing')) if (!loaded.has(channelStateKvKey(key))) tables.apply(key, null);
  return mirror;
}

function tryDecode(token: string): string | undefined {
  try { return sessionKeyOf(token); } catch { return undefined; }
}

function tryParse(text: string): unknown {
  try { return JSON.parse(text); } catch { return undefined; }
}

/** The bucket's last revision, and whether it holds nothing (the watch then gives no entry to wait for). */
async function lastRevision(kv: KV): Promise<{ lastSeq: number; empty: boolean }> {
  const state = (await kv.status()).streamInfo.state;
  return { lastSeq: state.last_seq, empty: state.messages === 0 };
}
