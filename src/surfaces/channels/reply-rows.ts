// The outbox rows of a finished channel run (spec channels.md §1.6, C7), written by a run-ledger finish hook
// inside the transaction that records the run as completed/failed: a completed channel run always has its
// rows, a crash before completion has none. Row ids make a second writer harmless (INSERT OR IGNORE).

import { EMPTY_REPLY_TEXT, failedReplyText } from './replies.js';
import { CHANNELS, type ChannelName, type ChannelTarget } from '../../core/channel.js';
import type { RunRef } from '../../core/bus.js';
import type { RunOrigin } from '../../core/run.js';
import type { ChannelOutbox, NewOutboxRow } from '../../store/channel-outbox.js';
import type { FinishRecord, FinishWriter } from '../../store/run-ledger.js';
import { chatKeyOf } from './chat-key.js';
import { chunkText } from './chunk.js';

/** At most one failure notice per chat in this window. */
export const FAILED_NOTICE_WINDOW_MS = 60_000;

/** A channel origin whose channel Clawgate speaks. */
export type ChannelOrigin = Extract<RunOrigin, { surface: 'channel' }> & { channel: ChannelName };

/** Whether `origin` is a reply address in a channel chat. */
export function isChannelOrigin(origin: RunOrigin | undefined): origin is ChannelOrigin {
  return origin?.surface === 'channel' && (CHANNELS as readonly string[]).includes(origin.channel);
}

/** The send target of a channel origin (without the quote: only a Telegram group's first chunk quotes). */
export function targetOf(origin: ChannelOrigin): ChannelTarget {
  return {
    chatId: origin.chatId,
    ...(origin.threadId !== undefined ? { threadId: origin.threadId } : {}),
    ...(origin.chatType !== undefined ? { chatType: origin.chatType } : {}),
  };
}

/** Options of replyRowsWriter. */
export interface ReplyRowsOptions {
  outbox: Pick<ChannelOutbox, 'enqueue' | 'get'>;
  /** The account's `text-chunk-limit`. */
  chunkLimit(channel: ChannelName, accountId: string): number;
  now(): number;
  /** Rows were written for this account; called after the current (synchronous) transaction, to kick its worker. */
  onRows?(channel: ChannelName, accountId: string): void;
}

/**
 * The finish hook that turns a channel run's end into outbox rows: completed → one row per chunk
 * (`<runId>:<i>`, chunk 0 editing the Telegram preview when one was sent); failed → one notice
 * (`<runId>:notice`) at most once per chat per 60 s; cancelled → nothing. In a merged turn a chat gets its rows
 * once, from the turn's first run in that chat (the lead run first). Storage errors propagate, so the
 * transaction that records the run's end fails with them.
 */
export function replyRowsWriter(options: ReplyRowsOptions): FinishWriter {
  const lastNotice = new Map<string, number>();
  /** Per merged turn (by lead run id): the chats written and the runs not yet seen. */
  const turns = new Map<string, { chats: Set<string>; left: Set<string> }>();

  const firstOfChatInTurn = (ref: RunRef, chatKey: string): boolean => {
    if (!ref.turn) return true;
    let turn = turns.get(ref.turn.leadRunId);
    if (!turn) {
      turn = { chats: new Set(), left: new Set(ref.turn.runIds) };
      turns.set(ref.turn.leadRunId, turn);
    }
    turn.left.delete(ref.runId);
    if (turn.left.size === 0) turns.delete(ref.turn.leadRunId);
    if (turn.chats.has(chatKey)) return false;
    turn.chats.add(chatKey);
    return true;
  };

  return (record: FinishRecord) => {
    const origin = record.origin;
    if (record.kind === 'cancelled' || !isChannelOrigin(origin)) return;
    const target = targetOf(origin);
    const chatKey = chatKeyOf(target);
    if (!firstOfChatInTurn(record.ref, chatKey)) return;
    const { channel, accountId } = origin;
    const base = { runId: record.ref.runId, channel, accountId, chatKey };
    let rows: NewOutboxRow[];
    if (record.kind === 'completed') {
      const text = record.reply.trim() === '' ? EMPTY_REPLY_TEXT : record.reply;
      const chunks = chunkText(text, options.chunkLimit(channel, accountId));
      const preview = options.outbox.get(`${record.ref.runId}:preview`);
      const previewId = preview?.state === 'sent' ? preview.remoteId : undefined;
      const quote = channel === 'telegram' && origin.chatType === 'group' ? origin.replyTo : undefined;
      rows = chunks.map((chunk, i) => ({
        ...base,
        id: `${record.ref.runId}:${i}`,
        target: i === 0 && quote !== undefined ? { ...target, replyToMessageId: quote } : target,
        payload: { kind: 'reply', text: chunk, ...(i === 0 && previewId !== undefined ? { editMessageId: previewId } : {}) },
      }));
    } else {
      const key = `${channel}:${accountId}:${chatKey}`;
      const now = options.now();
      const last = lastNotice.get(key);
      if (last !== undefined && now - last < FAILED_NOTICE_WINDOW_MS) return;
      lastNotice.set(key, now);
      for (const [k, at] of lastNotice) if (now - at >= FAILED_NOTICE_WINDOW_MS) lastNotice.delete(k);
      rows = [{ ...base, id: `${record.ref.runId}:notice`, target, payload: { kind: 'notice', text: failedReplyText(record.error.type) } }];
    }
    if (options.outbox.enqueue(rows) > 0 && options.onRows) {
      const notify = options.onRows;
      queueMicrotask(() => notify(channel, accountId));
    }
  };
}
