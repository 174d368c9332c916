import { stopSession } from '../../actors/cluster-owner.js';
import type { SessionRegistry } from '../../actors/session-registry.js';
import type { ChannelAccountConfig, ChannelMessage, ChannelState, ChannelTarget, InboundMedia } from '../../core/channel.js';
import type { Logger } from '../../core/log.js';
import type { TranscriptStore } from '../../core/transcript.js';
import { resetSessionContext } from '../../inbound/session-reset.js';
import type { Inbound, InboundMessage } from '../../inbound/submit.js';
import type { ChannelInboundStore } from '../../store/channel-inbound.js';
import type { ChannelOutbox, NewOutboxRow } from '../../store/channel-outbox.js';
import type { ChannelPairingStore } from '../../store/channel-pairing.js';
import { decideAccess } from './access.js';
import { chatKeyOf } from './chat-key.js';
import { activationText, type CommandName, helpText, parseActivation, parseCommand, statusText, whoamiText } from './commands.js';
import { gate, type GroupContext } from './gate.js';
import { ACTIVATION_GROUPS_ONLY_TEXT, ACTIVATION_USAGE_TEXT, busyText, NEW_SESSION_TEXT, NOTHING_TO_STOP_TEXT, pairingReplyText, STOPPED_TEXT } from './replies.js';
import { runParts, runText } from './run-input.js';
import { originFor, sessionKeyFor } from './session-key.js';

// The inbound pipeline of one channel account (spec channels.md §1.4): normalize (done by the transport) →
// self-loop → dedupe → access / pairing → command → gate → route → submit. The decisions are the pure functions
// of this folder; this file runs them against the stores. Each message's outcome commits in ONE transaction
// with its dedupe record and the transport's acknowledgement (Telegram's update_id watermark), so a crash
// either leaves the message unseen (it is delivered again) or fully handled (it is never handled twice).
// In cluster mode a message to run is journaled in the cluster's inbox first (run id = its platform id, so a
// delivery seen again by any instance is refused or replayed there, never run twice), and its dedupe record and
// acknowledgement commit once it is durable there; the session's owner, wherever it is, runs it. A /new or
// /reset resets the session's history in the cluster (on its owner) likewise before its reply and
// acknowledgement commit, its marker named after the message, so a delivery seen again resets once. A /stop
// or /status asks the session's owner (its runs are there, not necessarily here) before its reply and
// acknowledgement commit; when NATS or the owner cannot answer, nothing is acknowledged.

/** Where a handled message's acknowledgement is recorded (inside the outcome's transaction). */
export type Ack = () => void;

/** What the handler needs of the gateway and the account. */
export interface InboundHandlerDeps {
  config: ChannelAccountConfig;
  /** Runs `fn` in one SQLite transaction. */
  transaction<T>(fn: () => T): T;
  inboundStore: ChannelInboundStore;
  pairing: ChannelPairingStore;
  outbox: ChannelOutbox;
  inbound: Inbound;
  sessions: SessionRegistry;
  transcripts: TranscriptStore;
  groupContext: GroupContext;
  /** The model name /status shows. */
  model: string;
  /** The account's lifecycle state, for /status. */
  state(): ChannelState;
  /** The bot's own username (Telegram commands `/cmd@name`). */
  botUsername?(): string | undefined;
  /** DM forum topics enter the session key (Telegram `has_topics_enabled`). */
  dmTopics?(): boolean;
  /** Fetches a media item within the account's limits (the ref comes back without data when it cannot). */
  download?(media: InboundMedia): Promise<InboundMedia>;
  /** A message became a run (committed): read receipts (WhatsApp, Signal). */
  accepted?(msg: ChannelMessage): void;
  /** New outbox rows were committed: wake the worker. */
  rowsAdded(): void;
  /** A message passed the self-loop step (status `lastInboundAt`). */
  seen(): void;
  now(): number;
  log: Logger;
}

/** Handles the messages of one account; see the file comment. */
export class ChannelInboundHandler {
  /** Ids between the dedupe step and their commit: a concurrent duplicate stops at dedupe too. */
  private readonly inFlight = new Set<string>();

  constructor(private readonly deps: InboundHandlerDeps) {}

  /**
   * Runs the pipeline for one delivery; `ack` is committed with its outcome. A message the transport could not
   * normalize (undefined) is only acknowledged. Throws when the outcome cannot be recorded (a full disk): the
   * transport must then not acknowledge the delivery, so it comes again.
   */
  async handle(msg: ChannelMessage | undefined, ack: Ack = () => {}): Promise<void> {
    const d = this.deps;
    if (!msg || msg.isFromSelf) return void d.transaction(ack);
    d.seen();
    if (this.inFlight.has(msg.inboundId) || d.inboundStore.has(msg.inboundId)) return void d.transaction(ack);
    this.inFlight.add(msg.inboundId);
    try {
      await this.route(msg, ack);
    } finally {
      this.inFlight.delete(msg.inboundId);
    }
  }

  private async route(msg: ChannelMessage, ack: Ack): Promise<void> {
    const d = this.deps;
    const { channel, accountId } = d.config;
    const command = parseCommand(msg.text, d.botUsername?.());
    if (msg.commandForOtherBot || (command && 'kind' in command)) return this.record(msg, 'denied', ack);
    const access = decideAccess(msg, d.config, { isApproved: (id) => d.pairing.isApproved(channel, accountId, id), owner: d.pairing.owner(channel, accountId) });
    if (access.kind === 'deny') {
      d.log.debug({ channel, accountId, senderId: msg.senderId, reason: access.reason }, 'channel message denied');
      return this.record(msg, 'denied', ack);
    }
    if (access.kind === 'pair') return this.pair(msg, ack);
    const sessionKey = sessionKeyFor(msg, d.config, { dmTopics: d.dmTopics?.() ?? false });
    if (command && !('kind' in command)) return this.command(msg, command.name, command.args, sessionKey, access.isOwner, ack);
    const activation = msg.chatType === 'group' ? d.inboundStore.activation(sessionKey) : undefined;
    if (gate(msg, d.config, activation).kind === 'context') {
      d.groupContext.add(sessionKey, msg);
      return this.record(msg, 'context', ack);
    }
    const media = d.download ? await Promise.all(msg.media.map((m) => d.download!(m))) : msg.media;
    if (d.inbound.clustered) return this.submitToCluster({ ...msg, media }, sessionKey, ack);
    this.submit({ ...msg, media }, sessionKey, ack);
  }

  /** Cluster mode: journaled in the inbox (durable, or known there already), then recorded and acknowledged here. */
  private async submitToCluster(msg: ChannelMessage, sessionKey: string, ack: Ack): Promise<void> {
    const d = this.deps;
    const lateContext = msg.chatType === 'group' ? d.groupContext.take(sessionKey) : undefined;
    // throws when NATS cannot take it: nothing is acknowledged, the platform delivers it again
    const result = await d.inbound.acceptGrouped({ ...this.inboundMessage(msg, sessionKey, lateContext), platformDelivery: true });
    if (result.kind === 'conflict') d.log.debug({ inboundId: msg.inboundId, why: result.message }, 'channel message known to the cluster already: not run again');
    d.transaction(() => {
      d.inboundStore.record({ inboundId: msg.inboundId, channel: msg.channel, accountId: msg.accountId, kind: 'run' });
      // the session's queue is full in the cluster (nothing journaled): the sender is told, as in one process
      if (result.kind === 'full') this.enqueue(msg, `${msg.inboundId}:notice`, 'notice', busyText(result.queued));
      ack();
    });
    if (result.kind === 'accepted') d.accepted?.(msg);
    if (result.kind === 'full') d.rowsAdded();
  }

  private inboundMessage(msg: ChannelMessage, sessionKey: string, lateContext: string | undefined): InboundMessage {
    return {
      surface: 'channel', sessionKey, text: runText(msg), parts: runParts(msg),
      sender: { id: `${msg.channel}:${msg.senderId}`, name: msg.senderLabel },
      idempotencyKey: msg.inboundId, origin: originFor(msg), ...(lateContext ? { lateContext } : {}),
    };
  }

  private submit(msg: ChannelMessage, sessionKey: string, ack: Ack): void {
    const d = this.deps;
    const lateContext = msg.chatType === 'group' ? d.groupContext.take(sessionKey) : undefined;
    const result = d.transaction(() => {
      d.inboundStore.record({ inboundId: msg.inboundId, channel: msg.channel, accountId: msg.accountId, kind: 'run' });
      const r = d.inbound.accept(this.inboundMessage(msg, sessionKey, lateContext));
      if (r.kind === 'full') this.enqueue(msg, `${msg.inboundId}:notice`, 'notice', busyText(r.queued));
      ack();
      return r;
    });
    if (result.kind === 'accepted') {
      d.inbound.start(result.runId);
      d.accepted?.(msg);
    }
    if (result.kind === 'full') d.rowsAdded();
  }

  private pair(msg: ChannelMessage, ack: Ack): void {
    const d = this.deps;
    const created = d.transaction(() => {
      d.inboundStore.record({ inboundId: msg.inboundId, channel: msg.channel, accountId: msg.accountId, kind: 'pairing' });
      const r = d.pairing.request({ channel: msg.channel, accountId: msg.accountId, senderId: msg.senderId, senderLabel: msg.senderLabel, replyTo: targetOfMessage(msg) });
      if (r.kind === 'created') this.enqueue(msg, `${msg.inboundId}:pairing`, 'pairing', pairingReplyText(msg.channel, msg.senderId, r.code));
      ack();
      return r;
    });
    if (created.kind === 'capped') d.log.info({ channel: msg.channel, accountId: msg.accountId, senderId: msg.senderId }, 'pairing request refused: 3 requests already pending');
    if (created.kind === 'created') d.rowsAdded();
  }

  private async command(msg: ChannelMessage, name: CommandName, args: string, sessionKey: string, isOwner: boolean, ack: Ack): Promise<void> {
    const inCluster = this.deps.inbound.clustered ? await this.clusterCommand(msg, name, sessionKey) : undefined;
    const reply = inCluster ?? this.runCommand(msg, name, args, sessionKey, isOwner);
    if (reply === undefined) return this.record(msg, 'denied', ack);
    this.deps.transaction(() => {
      this.deps.inboundStore.record({ inboundId: msg.inboundId, channel: msg.channel, accountId: msg.accountId, kind: 'command' });
      this.enqueue(msg, `${msg.inboundId}:reply:0`, 'command', reply);
      ack();
    });
    this.deps.rowsAdded();
  }

  /**
   * Cluster mode, the commands about the session's runs and history, which live on its owner (throws when NATS
   * or the owner cannot answer: nothing is acknowledged, the platform delivers the command again); undefined
   * for the others (runCommand). The model reads the history in the cluster, so a reset goes there.
   */
  private async clusterCommand(msg: ChannelMessage, name: CommandName, sessionKey: string): Promise<string | undefined> {
    const d = this.deps;
    switch (name) {
      case 'new':
      case 'reset':
        await d.inbound.resetInCluster(sessionKey, msg.inboundId);
        d.groupContext.clear(sessionKey);
        return NEW_SESSION_TEXT;
      case 'stop':
        return (await d.inbound.stopInCluster(sessionKey)).length > 0 ? STOPPED_TEXT : NOTHING_TO_STOP_TEXT;
      case 'status': {
        const live = await d.inbound.liveInCluster(sessionKey);
        return this.statusReply(sessionKey, live.running ?? undefined, live.queued.length);
      }
      default:
        return undefined;
    }
  }

  private statusReply(sessionKey: string, running: string | undefined, queued: number): string {
    const d = this.deps;
    return statusText({ sessionKey, running, queued, model: d.model, channel: d.config.channel, accountId: d.config.accountId, state: d.state() });
  }

  /** A command's effect and its reply text; undefined = ignored silently (activation by a non-owner). */
  private runCommand(msg: ChannelMessage, name: CommandName, args: string, sessionKey: string, isOwner: boolean): string | undefined {
    const d = this.deps;
    const { channel, accountId } = d.config;
    switch (name) {
      case 'new':
      case 'reset':
        resetSessionContext({ transcripts: d.transcripts, sessions: d.sessions }, sessionKey, d.now());
        d.groupContext.clear(sessionKey);
        return NEW_SESSION_TEXT;
      case 'stop':
        return stopSession(d.sessions, sessionKey).length > 0 ? STOPPED_TEXT : NOTHING_TO_STOP_TEXT;
      case 'status': {
        const live = d.sessions.inspect(sessionKey);
        return this.statusReply(sessionKey, live?.running ?? undefined, live?.queued.length ?? 0);
      }
      case 'whoami':
        return whoamiText({ channel, accountId, senderId: msg.senderId, sessionKey });
      case 'help':
        return helpText();
      case 'activation': {
        if (msg.chatType !== 'group') return ACTIVATION_GROUPS_ONLY_TEXT;
        if (!isOwner) return undefined;
        const mode = parseActivation(args);
        if (!mode) return ACTIVATION_USAGE_TEXT;
        d.inboundStore.setActivation(sessionKey, mode);
        return activationText(mode);
      }
    }
  }

  private record(msg: ChannelMessage, kind: 'denied' | 'context', ack: Ack): void {
    this.deps.transaction(() => {
      this.deps.inboundStore.record({ inboundId: msg.inboundId, channel: msg.channel, accountId: msg.accountId, kind });
      ack();
    });
  }

  private enqueue(msg: ChannelMessage, id: string, kind: NewOutboxRow['payload']['kind'], text: string): void {
    const target = targetOfMessage(msg);
    this.deps.outbox.enqueue([{
      id, runId: msg.inboundId, channel: msg.channel, accountId: msg.accountId, chatKey: chatKeyOf(target), target, payload: { kind, text },
    }]);
  }
}

/** Where a reply to `msg` goes (groups quote the message). */
export function targetOfMessage(msg: ChannelMessage): ChannelTarget {
  return {
    chatId: msg.chatId, chatType: msg.chatType,
    ...(msg.threadId ? { threadId: msg.threadId } : {}),
    ...(msg.chatType === 'group' ? { replyToMessageId: msg.messageId } : {}),
  };
}
