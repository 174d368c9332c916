import type { ReplyRouter } from '../../actors/reply-router.js';
import type { SessionRegistry } from '../../actors/session-registry.js';
import type { Bus } from '../../core/bus.js';
import {
  type ChannelAccountConfig, type ChannelAccountSnapshot, type ChannelClock, type ChannelLeases, type ChannelName, ChannelRequestError, CHANNELS,
  type ChannelsConfig, type ChannelsControl, type WebLoginResult,
} from '../../core/channel.js';
import type { ChannelStateChanged } from '../../core/channel-state.js';
import type { Logger } from '../../core/log.js';
import type { TranscriptStore } from '../../core/transcript.js';
import type { Inbound } from '../../inbound/submit.js';
import { ChannelInboundStore } from '../../store/channel-inbound.js';
import { ChannelOutbox } from '../../store/channel-outbox.js';
import { ChannelPairingStore } from '../../store/channel-pairing.js';
import { type Db, inTransaction } from '../../store/db.js';
import type { RunLedger } from '../../store/run-ledger.js';
import type { Router } from '../../transport/router.js';
import { ChannelAccount, type ChannelAdapter } from './channel-account.js';
import { GroupContext } from './gate.js';
import { chatKeyOf } from './chat-key.js';
import { ChannelInboundHandler } from './inbound-handler.js';
import { PAIRING_APPROVED_TEXT } from './replies.js';
import { replyRowsWriter } from './reply-rows.js';
import { accountLeaseKeys } from './lease-key.js';

// The channel layer's root: one ChannelAccount per configured account (a Map keyed `<channel>:<accountId>`,
// like sessions), the stores they share, the writer that turns a finished channel run into outbox rows inside
// the run's completion transaction, and the answers of the WS methods and the CLI (ChannelsControl). In cluster
// mode each account has a lease (lease-key.ts) and runs only where it is held; elsewhere it waits in standby.

/** Builds an account's adapter (the channel-specific part); one per channel. */
export type AdapterFactory = (config: ChannelAccountConfig, ctx: AdapterContext) => ChannelAdapter;

/** The adapter factory of each channel the gateway runs (only the enabled channels' are loaded). */
export type AdapterFactories = Partial<Record<ChannelName, AdapterFactory>>;

/** Per-channel test seams, opaque to the manager (each adapter reads its own). */
export type ChannelSeams = Partial<Record<ChannelName, unknown>>;

/** What an adapter gets from the manager: the account's inbound pipeline and its status hooks. */
export interface AdapterContext {
  handler: ChannelInboundHandler;
  clock: ChannelClock;
  log: Logger;
  router: Router;
  inboundStore: ChannelInboundStore;
  /** The state dir's database (WhatsApp keeps its auth state there). */
  db: Db;
  /** Test seams per channel (a fake WhatsApp socket factory…), from GatewayOptions.channelSeams. */
  seams?: ChannelSeams;
  /** Bot id → account id: one poller per bot in this process (Telegram TG2). */
  botRegistry: Map<string, string>;
  activity(): void;
  reportError(text: string): void;
  isOnline(): boolean;
}

/** What the manager needs of the gateway. */
export interface ChannelManagerDeps {
  config: ChannelsConfig;
  db: Db;
  ledger: RunLedger;
  bus: Bus;
  replies: ReplyRouter;
  inbound: Inbound;
  sessions: SessionRegistry;
  transcripts: TranscriptStore;
  router: Router;
  adapters: AdapterFactories;
  model: string;
  seams?: ChannelSeams;
  clock: ChannelClock;
  random?: () => number;
  log: Logger;
  /** Cluster mode: the account leases (absent in one process: every enabled account runs). */
  leases?: ChannelLeases;
  /** Cluster mode: told every change of the pairing and activation rows (the cluster's mirror shares them). */
  stateChanged?: ChannelStateChanged;
}

/** The channel layer; see the file comment. */
export class ChannelManager implements ChannelsControl {
  private readonly accounts = new Map<string, ChannelAccount>();
  private readonly configs = new Map<string, ChannelAccountConfig>();
  private readonly inboundStore: ChannelInboundStore;
  private readonly pairing: ChannelPairingStore;
  private readonly outbox: ChannelOutbox;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly deps: ChannelManagerDeps) {
    const now = () => deps.clock.now();
    const changed = deps.stateChanged ? { changed: deps.stateChanged } : {};
    this.inboundStore = new ChannelInboundStore(deps.db, { now, ...changed });
    this.pairing = new ChannelPairingStore(deps.db, { now, ...changed });
    this.outbox = new ChannelOutbox(deps.db, { now });
    this.inboundStore.prune();
    this.pairing.prune();
    this.outbox.prune();
    const botRegistry = new Map<string, string>();
    const leaseKeys = deps.leases ? accountLeaseKeys(allAccounts(deps.config)) : undefined;
    for (const config of allAccounts(deps.config)) {
      const id = `${config.channel}:${config.accountId}`;
      this.configs.set(id, config);
      const factory = deps.adapters[config.channel];
      if (!config.enabled || !factory) continue;
      const leaseKey = leaseKeys?.get(id);
      this.accounts.set(id, this.createAccount(config, factory, botRegistry, leaseKey && deps.leases ? { key: leaseKey, leases: deps.leases } : undefined));
    }
    // a finished channel run's reply rows commit with its completion (spec §1.6)
    this.unsubscribe.push(deps.ledger.onFinish(replyRowsWriter({
      outbox: this.outbox, now,
      chunkLimit: (channel, accountId) => this.configs.get(`${channel}:${accountId}`)?.textChunkLimit ?? 4000,
    })));
    // the rows are written by then: the router only tells the account's worker to send them
    for (const channel of CHANNELS) {
      this.unsubscribe.push(deps.replies.register(channel, (origin) => this.accounts.get(`${origin.channel}:${origin.accountId}`)?.kick()));
    }
  }

  /** Every account that is not online (for /readyz: `channel:<channel>:<accountId>`); one in standby runs elsewhere. */
  notOnline(): string[] {
    return [...this.accounts.values()].filter((a) => a.lifecycle !== 'online' && a.lifecycle !== 'standby').map((a) => `channel:${a.id}`);
  }

  /** START every enabled account (after the WS plane is up). */
  startAll(): void {
    for (const account of this.accounts.values()) account.start();
  }

  /** STOP every account and wait for their transports and outbox workers (runs still under way keep writing their reply rows until close()). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.accounts.values()].map((a) => a.stop()));
  }

  /**
   * After the drain: the reply rows of the runs it ended are written (sent at the next start; in cluster mode
   * handed to each account's holder now), then no more rows are written.
   */
  async close(): Promise<void> {
    await Promise.all([...this.accounts.values()].map((a) => a.forwardPending()));
    for (const off of this.unsubscribe.splice(0)) off();
  }

  async status(params: { channel?: string; probe?: boolean; timeoutMs?: number }): Promise<Record<ChannelName, ChannelAccountSnapshot[]>> {
    if (params.channel !== undefined) channelName(params.channel);
    const out = { telegram: [], whatsapp: [], signal: [] } as Record<ChannelName, ChannelAccountSnapshot[]>;
    const chosen = [...this.configs.entries()].filter(([, c]) => params.channel === undefined || c.channel === params.channel);
    if (params.probe) {
      await Promise.all(chosen.map(([id]) => this.accounts.get(id)?.probe(params.timeoutMs ?? 10_000)));
    }
    for (const [id, config] of chosen) out[config.channel].push(this.accounts.get(id)?.snapshot() ?? disabledSnapshot(config, this.outbox));
    return out;
  }

  summary(): Partial<Record<ChannelName, { configured: boolean; running: boolean; connected: boolean }>> {
    const out: Partial<Record<ChannelName, { configured: boolean; running: boolean; connected: boolean }>> = {};
    for (const c of this.configs.values()) {
      const a = this.accounts.get(`${c.channel}:${c.accountId}`);
      const s = out[c.channel] ?? { configured: true, running: false, connected: true };
      const state = a?.lifecycle ?? 'stopped';
      s.running ||= state !== 'stopped' && state !== 'failed' && state !== 'standby';
      // an account in standby is connected on the instance that holds its lease
      if (c.enabled && state !== 'standby') s.connected &&= state === 'online';
      out[c.channel] = s;
    }
    return out;
  }

  async start(channel: string, accountId?: string) {
    const account = this.account(channel, accountId);
    this.accounts.get(account.id)?.start();
    return { channel: account.channel, accountId: account.accountId };
  }

  async stop(channel: string, accountId?: string) {
    const account = this.account(channel, accountId);
    await this.accounts.get(account.id)?.stop();
    return { channel: account.channel, accountId: account.accountId };
  }

  async logout(channel: string, accountId?: string): Promise<{ channel: ChannelName; accountId: string; cleared: boolean }> {
    const account = this.account(channel, accountId);
    const live = this.accounts.get(account.id);
    if (!live?.adapter.logout) throw new ChannelRequestError(`channel ${account.channel} does not support logout`);
    await live.adapter.logout();
    await live.stop(); // starts again without credentials: needsLogin until the next login
    live.start();
    return { channel: account.channel, accountId: account.accountId, cleared: true };
  }

  async loginStart(params: { accountId?: string; force?: boolean; timeoutMs?: number; phoneNumber?: string }): Promise<WebLoginResult> {
    const live = this.loginAccount(params.accountId);
    live.start(); // a failed or stopped account starts again; a running one is unchanged
    return live.adapter.loginStart!(params);
  }

  async loginWait(params: { accountId?: string; timeoutMs?: number; currentQrDataUrl?: string }): Promise<WebLoginResult> {
    return this.loginAccount(params.accountId).adapter.loginWait!(params);
  }

  /** The WhatsApp account a web login is for. */
  private loginAccount(accountId?: string): ChannelAccount {
    const account = this.account('whatsapp', accountId);
    const live = this.accounts.get(account.id);
    if (!live?.adapter.loginStart || !live.adapter.loginWait) throw new ChannelRequestError('web login is only available for whatsapp');
    return live;
  }

  pairingList(params: { channel?: string; accountId?: string }) {
    const channel = params.channel === undefined ? undefined : channelName(params.channel);
    const accounts = [...this.configs.values()]
      .filter((c) => (channel === undefined || c.channel === channel) && (params.accountId === undefined || c.accountId === params.accountId))
      .map((c) => ({ channel: c.channel, accountId: c.accountId, hasOwner: this.hasOwner(c) }));
    const requests = this.pairing.list({ ...(channel ? { channel } : {}), ...(params.accountId ? { accountId: params.accountId } : {}) });
    return { accounts, requests };
  }

  pairingApprove(params: { channel: string; code: string; accountId?: string; notify?: boolean }) {
    const account = this.account(params.channel, params.accountId);
    const code = params.code.trim().toUpperCase();
    const approved = inTransaction(this.deps.db, () => {
      const a = this.pairing.approve({ channel: account.channel, accountId: account.accountId, code });
      if (params.notify) {
        this.outbox.enqueue([{
          id: `pairing:${account.id}:${code}:approved`, runId: `pairing:${code}`, channel: account.channel, accountId: account.accountId,
          chatKey: chatKeyOf(a.replyTo), target: a.replyTo, payload: { kind: 'notice', text: PAIRING_APPROVED_TEXT },
        }]);
      }
      return a;
    });
    if (params.notify) this.accounts.get(account.id)?.kick();
    return {
      requestId: code, senderId: approved.senderId, accountId: account.accountId,
      notification: params.notify ? 'sent' as const : 'not-requested' as const,
      commandOwnerBootstrap: approved.ownerBootstrapped ? 'configured' as const : 'already-configured' as const,
    };
  }

  pairingReject(params: { channel: string; code: string; accountId?: string }) {
    const account = this.account(params.channel, params.accountId);
    const code = params.code.trim().toUpperCase();
    const { senderId } = this.pairing.reject({ channel: account.channel, accountId: account.accountId, code });
    return { requestId: code, senderId, accountId: account.accountId };
  }

  private hasOwner(c: ChannelAccountConfig): boolean {
    return c.allowFrom.some((id) => id !== '*') || this.pairing.owner(c.channel, c.accountId) !== undefined;
  }

  /** The configured account named by a request; the channel's default (or only) account when none is named. */
  private account(channel: string, accountId?: string): ChannelAccountConfig & { id: string } {
    const name = channelName(channel);
    const ofChannel = [...this.configs.values()].filter((c) => c.channel === name);
    if (ofChannel.length === 0) throw new ChannelRequestError(`channel ${name} is not configured`);
    const wanted = accountId ?? (ofChannel.some((c) => c.accountId === 'default') ? 'default' : ofChannel[0]!.accountId);
    const config = ofChannel.find((c) => c.accountId === wanted);
    if (!config) throw new ChannelRequestError(`unknown account "${wanted}" for channel ${name}`);
    return { ...config, id: `${name}:${config.accountId}` };
  }

  private createAccount(config: ChannelAccountConfig, factory: AdapterFactory, botRegistry: Map<string, string>,
    lease: { key: string; leases: ChannelLeases } | undefined): ChannelAccount {
    const d = this.deps;
    const log = d.log.child({ channel: config.channel, accountId: config.accountId });
    let account: ChannelAccount | undefined;
    let adapterRef: ChannelAdapter | undefined;
    const handler = new ChannelInboundHandler({
      config, transaction: (fn) => inTransaction(d.db, fn), inboundStore: this.inboundStore, pairing: this.pairing, outbox: this.outbox,
      inbound: d.inbound, sessions: d.sessions, transcripts: d.transcripts, groupContext: new GroupContext(config.historyLimit),
      model: d.model, state: () => account?.lifecycle ?? 'stopped', rowsAdded: () => account?.kick(), seen: () => account?.mark('inbound'),
      now: () => d.clock.now(), log,
      botUsername: () => adapterRef?.botUsername?.(), dmTopics: () => adapterRef?.dmTopics?.() ?? false,
      download: (media) => adapterRef?.download?.(media) ?? Promise.resolve(media),
      accepted: (msg) => adapterRef?.onAccepted?.(msg),
    });
    const adapter = factory(config, {
      handler, clock: d.clock, log, router: d.router, inboundStore: this.inboundStore, botRegistry, db: d.db, seams: d.seams,
      activity: () => account?.mark('activity'), reportError: (text) => account?.reportError(text), isOnline: () => account?.lifecycle === 'online',
    });
    adapterRef = adapter;
    account = new ChannelAccount({
      config, adapter, outbox: this.outbox, bus: d.bus, clock: d.clock, random: d.random, log, ...(lease ? { lease } : {}),
    });
    return account;
  }
}

function allAccounts(config: ChannelsConfig): ChannelAccountConfig[] {
  return CHANNELS.flatMap((name) => (config as unknown as Partial<Record<ChannelName, ChannelAccountConfig[]>>)[name] ?? []);
}

function channelName(name: string): ChannelName {
  if (!(CHANNELS as readonly string[]).includes(name)) throw new ChannelRequestError(`unknown channel: ${name}`);
  return name as ChannelName;
}

function disabledSnapshot(c: ChannelAccountConfig, outbox: ChannelOutbox): ChannelAccountSnapshot {
  return {
    accountId: c.accountId, enabled: c.enabled, configured: true, running: false, connected: false, state: 'stopped',
    reconnectAttempts: 0, lastError: null, lastStartAt: null, lastStopAt: null, lastConnectedAt: null, lastInboundAt: null,
    lastOutboundAt: null, lastTransportActivityAt: null, activeRuns: 0, busy: false, dmPolicy: c.dmPolicy, allowFrom: [...c.allowFrom],
    outbox: outbox.counts(c.channel, c.accountId),
  };
}
