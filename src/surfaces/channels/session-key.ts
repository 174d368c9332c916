// Step 7 of the inbound pipeline (spec channels.md §1.5): the session a channel message belongs to, and
// the reply address recorded with its run. The origin is never parsed back from the key.
import type { ChannelAccountConfig, ChannelMessage } from '../../core/channel.js';
import type { RunOrigin } from '../../core/run.js';

/** The session key shared by every `dm-scope: main` DM. */
export const MAIN_SESSION_KEY = 'agent:main:main';

/**
 * The session key of a message: DMs `agent:main:<channel>:direct:<peer lower-cased>` (or `agent:main:main`
 * under `dm-scope: main`), groups `agent:main:<channel>:group:<group id as received>`, plus
 * `:topic:<threadId>` for a forum topic (Telegram General is topic 1) and, only with `dmTopics` (Telegram
 * `has_topics_enabled`), for a DM thread.
 */
export function sessionKeyFor(msg: ChannelMessage, cfg: Pick<ChannelAccountConfig, 'dmScope'>, opts?: { dmTopics?: boolean }): string {
  if (msg.chatType === 'group') return `agent:main:${msg.channel}:group:${msg.groupId ?? msg.chatId}${topic(msg.threadId)}`;
  if (cfg.dmScope === 'main') return MAIN_SESSION_KEY;
  // Signal allow-from spells UUIDs `uuid:<uuid>`; the key holds the bare, lower-cased UUID.
  const peer = msg.senderId.toLowerCase().replace(/^uuid:/, '');
  return `agent:main:${msg.channel}:direct:${peer}${opts?.dmTopics ? topic(msg.threadId) : ''}`;
}

/** The channel origin of a message's run: where its reply goes; groups quote the triggering message. */
export function originFor(msg: ChannelMessage): RunOrigin {
  return {
    surface: 'channel',
    channel: msg.channel,
    accountId: msg.accountId,
    chatId: msg.chatId,
    ...(msg.threadId !== undefined && { threadId: msg.threadId }),
    ...(msg.chatType === 'group' && { replyTo: msg.messageId }),
    chatType: msg.chatType,
    senderId: msg.senderId,
  };
}

function topic(threadId: string | undefined): string {
  return threadId ? `:topic:${threadId}` : '';
}
