// Step 6 of the inbound pipeline (spec channels.md C4): does a group message that passed access start a
// run, or is it kept as context for the next one? DMs always run; commands were answered before this step.
import type { ChannelAccountConfig, ChannelMessage } from '../../core/channel.js';
import { groupRuleFor } from './access.js';
import { cutText, messageBody, QUOTE_MAX_CHARS, senderPrefix } from './run-input.js';

/** A group session's activation: answer only when mentioned, or every message. */
export type Activation = 'mention' | 'always';

/** The first line of the `lateContext` block built from unmentioned group messages. */
export const GROUP_CONTEXT_HEADER = '[Chat messages since your last reply - for context]';

/** A native mention of the account, a `mention-patterns` substring (case-insensitive), or a reply to the account. */
export function isMentioned(msg: ChannelMessage, cfg: Pick<ChannelAccountConfig, 'mentionPatterns'>): boolean {
  if (msg.mentionsBot || msg.replyTo?.isToBot) return true;
  const text = msg.text.toLowerCase();
  return cfg.mentionPatterns.some((pattern) => pattern !== '' && text.includes(pattern.toLowerCase()));
}

/** The stored `/activation`, else the group's `require-mention`, else the account's. */
export function activationFor(msg: ChannelMessage, cfg: ChannelAccountConfig, stored?: Activation): Activation {
  if (stored) return stored;
  const requireMention = groupRuleFor(msg.groupId ?? msg.chatId, cfg)?.requireMention ?? cfg.requireMention;
  return requireMention ? 'mention' : 'always';
}

/** `run`, or `context` for a group message without a mention while the activation is `mention`. */
export function gate(msg: ChannelMessage, cfg: ChannelAccountConfig, stored?: Activation): { kind: 'run' } | { kind: 'context' } {
  if (msg.chatType === 'direct') return { kind: 'run' };
  if (activationFor(msg, cfg, stored) === 'always' || isMentioned(msg, cfg)) return { kind: 'run' };
  return { kind: 'context' };
}

/**
 * The unmentioned messages of each group session since its last run (C4): in memory only (lost on restart),
 * the last `limit` per session, each cut to 500 characters and labelled like a group run input.
 */
export class GroupContext {
  private readonly bySession = new Map<string, string[]>();

  /** `limit` = the account's `history-limit` (0 keeps nothing). */
  constructor(private readonly limit: number) {}

  /** Keep an unmentioned message of a group session, dropping the oldest past the limit. */
  add(sessionKey: string, msg: ChannelMessage): void {
    if (this.limit <= 0) return;
    const line = `${senderPrefix(msg)}${cutText(messageBody(msg), QUOTE_MAX_CHARS)}`.trimEnd();
    const lines = this.bySession.get(sessionKey) ?? [];
    lines.push(line);
    if (lines.length > this.limit) lines.splice(0, lines.length - this.limit);
    this.bySession.set(sessionKey, lines);
  }

  /** The `lateContext` block for the run now starting in this session, and forget it; undefined when empty. */
  take(sessionKey: string): string | undefined {
    const lines = this.bySession.get(sessionKey);
    this.bySession.delete(sessionKey);
    return lines && lines.length > 0 ? [GROUP_CONTEXT_HEADER, ...lines].join('\n') : undefined;
  }

  /** Forget a session's context (e.g. on `/new`). */
  clear(sessionKey: string): void {
    this.bySession.delete(sessionKey);
  }
}
