// What every layer may know of messaging channels (Telegram now; WhatsApp and Signal on the same layer): the
// names, the resolved per-account settings, the normalized inbound message, the send seam of a transport, the
// clock every channel timer reads, and the control interface the WS methods and the CLI use.

/** The channels Clawgate speaks, in the order status lists them. */
export const CHANNELS = ['telegram', 'whatsapp', 'signal'] as const;

/** A channel's name. */
export type ChannelName = (typeof CHANNELS)[number];

/** The states of a channel account's actor (src/machines/channel.ts); `standby`: cluster mode, another instance holds the account's lease. */
export type ChannelState = 'stopped' | 'standby' | 'starting' | 'needsLogin' | 'connecting' | 'online' | 'backoff' | 'failed' | 'stopping';

/** Who may DM the account. */
export type DmPolicy = 'pairing' | 'allowlist' | 'open' | 'disabled';

/** Which groups (and group senders) the account answers. */
export type GroupPolicy = 'allowlist' | 'open' | 'disabled';

/** Per-group overrides under `groups`. */
export interface GroupRule {
  requireMention?: boolean;
  allowFrom?: string[];
}

/** One account's resolved settings (config keys camelCased, defaults applied, ids normalized). */
export interface ChannelAccountConfig {
  channel: ChannelName;
  accountId: string;
  enabled: boolean;
  dmPolicy: DmPolicy;
  dmScope: 'per-channel-peer' | 'main';
  /** Normalized ids (Telegram: numeric user ids), or `*`. */
  allowFrom: string[];
  groupPolicy: GroupPolicy;
  /** Absent = falls back to allowFrom. */
  groupAllowFrom?: string[];
  /** Allowed groups by id (`*` = any group). A Map, so no id can name an Object.prototype member. */
  groups: Map<string, GroupRule>;
  requireMention: boolean;
  /** Lower-cased substrings. */
  mentionPatterns: string[];
  historyLimit: number;
  textChunkLimit: number;
  mediaMaxMb: number;
}

/** A Telegram account's settings. */
export interface TelegramAccountConfig extends ChannelAccountConfig {
  channel: 'telegram';
  botToken: string;
  tokenSource: 'config' | 'env';
  /** Bot API base URL without a trailing slash. */
  apiRoot: string;
  streaming: 'partial' | 'off';
  /** Webhook mode; `path` is the local route (the URL's path). */
  webhook?: { url: string; path: string; secret: string };
}

/** A WhatsApp account's settings. */
export interface WhatsAppAccountConfig extends ChannelAccountConfig {
  channel: 'whatsapp';
  /** The account messages itself (the owner's own chat is the conversation). */
  selfChatMode: boolean;
  sendReadReceipts: boolean;
}

/** A Signal account's settings. */
export interface SignalAccountConfig extends ChannelAccountConfig {
  channel: 'signal';
  /** The signal-cli-rest-api base URL without a trailing slash. */
  apiUrl: string;
  /** The account's own number (E.164). */
  account: string;
  sendReadReceipts: boolean;
}

/** The `channels` block of the config file, resolved: the enabled and disabled accounts per channel. */
export interface ChannelsConfig {
  telegram: TelegramAccountConfig[];
  whatsapp: WhatsAppAccountConfig[];
  signal: SignalAccountConfig[];
}

/** A media item of an inbound message (downloaded when within limits). */
export interface InboundMedia {
  kind: 'image' | 'audio' | 'voice' | 'video' | 'document' | 'sticker';
  /** The platform's file reference (Telegram file_id). */
  fileId?: string;
  fileName?: string;
  mime?: string;
  /** Declared size in bytes, when known. */
  size?: number;
  /** The bytes, once downloaded. */
  data?: Uint8Array;
}

/** A platform message, normalized (spec channels.md §1.4 step 1). */
export interface ChannelMessage {
  channel: ChannelName;
  accountId: string;
  /** Unique per delivery, becomes the run id (`tg:<accountId>:<botId>:<update_id>`). */
  inboundId: string;
  chatType: 'direct' | 'group';
  /** What the platform's send call needs (Telegram chat id). */
  chatId: string;
  /**
   * The group's own id where it differs from `chatId` (Signal: `groupInfo.groupId` as received, while `chatId` is
   * the `group.<base64>` recipient): the session key and the `groups` rules use it. Absent = `chatId`.
   */
  groupId?: string;
  /** A forum topic (Telegram `message_thread_id`; `1` = General). */
  threadId?: string;
  senderId: string;
  /** Other ids of the same sender that `allow-from` may name (Signal: the E.164 number when `senderId` is the UUID). */
  senderAliases?: string[];
  senderLabel: string;
  /** The platform's message id (a reply quotes it). */
  messageId: string;
  text: string;
  media: InboundMedia[];
  replyTo?: { messageId: string; senderLabel?: string; text?: string; isToBot: boolean };
  /** A native mention of the account (Telegram `@username` entity). */
  mentionsBot: boolean;
  isFromSelf: boolean;
  /** Platform timestamp, epoch ms. */
  ts: number;
  /** A command addressed to another bot (`/status@other_bot`): dropped entirely. */
  commandForOtherBot?: boolean;
  /** Never start the pairing flow for this message (WhatsApp `self-chat-mode`, WA7): an unknown sender is dropped. */
  noPairing?: boolean;
  /** The chat's display name when known (a WhatsApp group's subject). */
  chatLabel?: string;
}

/** The reply address of a channel chat (what the outbox sends to). */
export interface ChannelTarget {
  chatId: string;
  threadId?: string;
  /** Quote this message (Telegram groups: the first chunk replies to the trigger). */
  replyToMessageId?: string;
  chatType?: 'direct' | 'group';
}

/** One text message to send, or an edit of an earlier one (the Telegram preview). */
export interface SendText extends ChannelTarget {
  text: string;
  /** Edit this message instead of sending a new one. */
  editMessageId?: string;
  /** The outbox row being sent (WhatsApp derives its deterministic message id from it, so a resend is the same message). */
  rowId?: string;
}

/**
 * What a send call came to (spec channels.md §1.6): sent; rate limited (wait `retryAfterMs`, not an attempt);
 * not sent at all (safe to retry); rejected (permanent); ambiguous (it may have arrived: never resent).
 */
export type SendOutcome =
  | { kind: 'sent'; remoteId: string }
  | { kind: 'rateLimited'; retryAfterMs: number; error: string }
  | { kind: 'notSent'; error: string }
  | { kind: 'rejected'; error: string }
  | { kind: 'ambiguous'; error: string };

/** How a channel transport sends (each adapter implements it; tests replace it). Never throws. */
export interface ChannelSender {
  /** Send (or edit) one text message, with the channel's own fallbacks (HTML → plain, no thread). */
  sendText(message: SendText): Promise<SendOutcome>;
  /** Delete a message (best effort). */
  deleteMessage?(target: ChannelTarget, messageId: string): Promise<void>;
  /** Show (or clear, where the platform has that) the typing indicator; best effort. */
  typing(target: ChannelTarget, on: boolean): Promise<void>;
}

/** The clock every channel timer reads (XState's `SimulatedClock` fits it; tests drive time with it). */
export interface ChannelClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** A refused channel request (unknown channel, no such pairing code…): WS `INVALID_REQUEST`, CLI exit 1. */
export class ChannelRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChannelRequestError';
  }
}

/** One account's status snapshot (OpenClaw's ChannelAccountSnapshot plus Clawgate's `state` and `outbox`). */
export interface ChannelAccountSnapshot {
  accountId: string;
  enabled: boolean;
  configured: boolean;
  running: boolean;
  connected: boolean;
  state: ChannelState;
  reconnectAttempts: number;
  lastError: string | null;
  lastStartAt: number | null;
  lastStopAt: number | null;
  lastConnectedAt: number | null;
  lastInboundAt: number | null;
  lastOutboundAt: number | null;
  lastTransportActivityAt: number | null;
  activeRuns: number;
  busy: boolean;
  mode?: string;
  dmPolicy: DmPolicy;
  allowFrom: string[];
  tokenSource?: 'config' | 'env';
  baseUrl?: string;
  linked?: boolean;
  outbox: { pending: number; sending: number; unknown: number; failed: number; expired: number };
  probe?: { ok: boolean; elapsedMs: number; error?: string };
  lastProbeAt?: number | null;
  /** Cluster mode, in `standby`: the instance that holds the account's lease (null when it could not be read). */
  leaseOwner?: string | null;
}

/**
 * Cluster mode: the leases that let exactly one instance run a channel account (its transport and outbox
 * worker); implemented on NATS in src/cluster/channel-leases.ts, given to the channel layer by the composition
 * root. Keys name what must not run twice (src/surfaces/channels/lease-key.ts).
 */
export interface ChannelLeases {
  /** This instance's id (what another instance's standby shows). */
  readonly instanceId: string;
  /** How often an account in standby asks for its lease again (half the lease TTL). */
  readonly retryMs: number;
  /** Take the lease on `key` if nobody holds it; true when this instance holds it now. */
  acquire(key: string): Promise<boolean>;
  /** Give the lease up (a no-op when not held), so another instance can take it without waiting for the TTL. */
  release(key: string): Promise<void>;
  /** Whether this instance holds the lease on `key`. */
  holds(key: string): boolean;
  /** The instance holding `key`, read from the cluster; undefined when nobody does. */
  owner(key: string): Promise<string | undefined>;
  /** `fn` is told (once per loss) when a held lease on `key` is lost; returns the unsubscribe. */
  onLost(key: string, fn: () => void): () => void;
  /**
   * Hand reply rows (outbox rows, JSON) to the instance that holds `key`; resolves with its id once it has
   * committed them, undefined when no holder answered (nobody holds it, or it did not answer in time).
   */
  forward(key: string, rows: unknown[]): Promise<string | undefined>;
  /** While holding `key`: take rows forwarded by other instances (`take` commits them; a throw refuses them). Returns the stop. */
  serve(key: string, take: (rows: unknown[]) => void): () => void;
}

/** A pending pairing request, as `channels.pairing.list` shows it. */
export interface PairingRequestView {
  requestId: string;
  channel: ChannelName;
  accountId: string;
  senderId: string;
  senderLabel: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

/** The answer of `web.login.start` / `web.login.wait` (spec channels.md §5.1). */
export interface WebLoginResult {
  connected: boolean;
  message: string;
  /** `data:image/png;base64,…` of the current QR. */
  qrDataUrl?: string;
  /** The raw QR text (the CLI renders it in the terminal). */
  qr?: string;
  /** The 8-character code to type on the phone (`phoneNumber` given). */
  pairingCode?: string;
}

/** What the WS methods and the CLI ask of the channel layer (implemented by the channel manager). */
export interface ChannelsControl {
  /** One snapshot per configured account of each channel (all channels when `channel` is absent). */
  status(params: { channel?: string; probe?: boolean; timeoutMs?: number }): Promise<Record<ChannelName, ChannelAccountSnapshot[]>>;
  /** Per channel with accounts: configured, running, connected — for the `health` snapshot (synchronous). */
  summary?(): Partial<Record<ChannelName, { configured: boolean; running: boolean; connected: boolean }>>;
  start(channel: string, accountId?: string): Promise<{ channel: ChannelName; accountId: string }>;
  stop(channel: string, accountId?: string): Promise<{ channel: ChannelName; accountId: string }>;
  logout(channel: string, accountId?: string): Promise<{ channel: ChannelName; accountId: string; cleared: boolean }>;
  /** WS `web.login.start` (WhatsApp): a QR (or pairing code) to link the account, or `connected` when linked. */
  loginStart?(params: { accountId?: string; force?: boolean; timeoutMs?: number; phoneNumber?: string }): Promise<WebLoginResult>;
  /** WS `web.login.wait`: returns when linked, when a QR other than `currentQrDataUrl` exists, or at the timeout. */
  loginWait?(params: { accountId?: string; timeoutMs?: number; currentQrDataUrl?: string }): Promise<WebLoginResult>;
  pairingList(params: { channel?: string; accountId?: string }): { accounts: { channel: ChannelName; accountId: string; hasOwner: boolean }[]; requests: PairingRequestView[] };
  pairingApprove(params: { channel: string; code: string; accountId?: string; notify?: boolean }):
    { requestId: string; senderId: string; accountId: string; notification: 'sent' | 'not-requested'; commandOwnerBootstrap: 'configured' | 'already-configured' };
  pairingReject(params: { channel: string; code: string; accountId?: string }): { requestId: string; senderId: string; accountId: string };
}

/** `message` of a web login answer when the login ended without a link (`login failed: login timed out`). */
export const WEB_LOGIN_FAILED_PREFIX = 'login failed: ';

/** `message` of a web login answer when no login is going on (the CLI stops on it). */
export const WEB_LOGIN_NONE_MESSAGE = 'no WhatsApp login in progress: call web.login.start';
