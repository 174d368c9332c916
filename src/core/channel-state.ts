import type { ChannelName } from './channel.js';

// The channel state an instance must share with the others in cluster mode: pending pairing requests, the
// senders approved by pairing, and group `/activation`. Each instance keeps them in its own SQLite tables
// (the inbound pipeline reads them inside its synchronous transaction); src/cluster mirrors the rows through
// the cluster. This is the seam between the two: a row named by its key, read and written as plain JSON.

/** One row of the shared channel state, by its primary key. */
export type ChannelStateKey =
  | { table: 'pairing' | 'allow'; channel: ChannelName; accountId: string; senderId: string }
  | { table: 'activation'; sessionKey: string };

/** A row's columns as JSON (column names as in SQLite); null: there is no such row. */
export type ChannelStateRow = Record<string, string | number> | null;

/** Told the key of every shared row a local change touched (called inside the change's transaction). */
export type ChannelStateChanged = (key: ChannelStateKey) => void;

/** The local tables of the shared channel state, as the mirror sees them. */
export interface ChannelStateTables {
  /** The row as stored now (null: none). */
  read(key: ChannelStateKey): ChannelStateRow;
  /** Store the cluster's version of a row (null deletes it); never reported as a local change. */
  apply(key: ChannelStateKey, row: ChannelStateRow): void;
  /** The keys of every row of a table. */
  keys(table: ChannelStateKey['table']): ChannelStateKey[];
}
