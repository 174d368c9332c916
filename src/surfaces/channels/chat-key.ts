// The key that orders a chat's sends and holds its limits: the chat id, plus the thread for a forum topic.

import type { ChannelTarget } from '../../core/channel.js';

/** `<chatId>` or `<chatId>:<threadId>`: one per-chat FIFO, bucket and pause (spec channels.md §1.6). */
export function chatKeyOf(target: Pick<ChannelTarget, 'chatId' | 'threadId'>): string {
  return target.threadId === undefined ? target.chatId : `${target.chatId}:${target.threadId}`;
}
