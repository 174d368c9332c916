import { type AnyActorLogic, fromPromise } from 'xstate';
import { createSupervisedActor } from '../../actors/supervise.js';
import type {
  ChannelAccountConfig, ChannelAccountSnapshot, ChannelClock, ChannelLeases, ChannelSender, ChannelMessage, ChannelState, InboundMedia, WebLoginResult,
} from '../../core/channel.js';
import type { Logger } from '../../core/log.js';
import { BACKOFF, channelMachine, channelStateOf, type LeaseAcquireOutput } from '../../machines/channel.js';
import type { ChannelOutbox } from '../../store/channel-outbox.js';
import type { Bus } from '../../core/bus.js';
import { AccountOutbound } from './account-outbound.js';
import { forwardedRows, RowForwarder } from './row-forwarder.js';

// One channel account: its lifecycle actor (src/machines/channel.ts) with the channel's transport plugged in,
// the outbox worker that runs while the account is online, and the figures `channels.status` shows. A failing
// account stays a failing account: its actor is supervised, and nothing it does reaches another account.
// In cluster mode the account runs only while this instance holds its lease (the machine's `standby`): the
// lease is asked for by the machine, lost leases are sent to it, and it is given up once the account is
// stopped or failed and its transport closed. The holder takes the reply rows of runs that ended on other
// instances; an account in standby forwards its own to the holder (row-forwarder.ts).

/** Cluster mode: the states in which this instance holds the account's lease (and takes forwarded reply rows). */
const HOLDING: ReadonlySet<ChannelState> = new Set(['starting', 'needsLogin', 'connecting', 'online', 'backoff']);

/** What a channel adapter (Telegram, later WhatsApp and Signal) gives the account. */
export interface ChannelAdapter {
  sender: ChannelSender;
  /** The machine's `transport` actor: opens the connection and reports online / down / fatal. */
  transport: AnyActorLogic;
  /** Config checks, credentials: `needsLogin` when there are none yet. */
  prepare(): Promise<{ needsLogin?: boolean; error?: string }>;
  /** The transports' close promises, awaited (bounded) by STOP. */
  closing: Set<Promise<void>>;
  /** Status `mode` (Telegram `polling` or `webhook`). */
  mode(): string;
  /** A live check for `channels.status {probe:true}`. */
  probe?(timeoutMs: number): Promise<{ ok: boolean; elapsedMs: number; error?: string }>;
  /** Called each time the account comes online (Telegram's command menu). */
  onOnline?(): void;
  /** The account's own username (commands `/cmd@name`), once known. */
  botUsername?(): string | undefined;
  /** DM forum topics enter the session key (Telegram `has_topics_enabled`). */
  dmTopics?(): boolean;
  /** Fetches an inbound media item within the account's limit (the ref alone when it cannot). */
  download?(media: InboundMedia): Promise<InboundMedia>;
  /** A message of this account became a run (read receipts). */
  onAccepted?(msg: ChannelMessage): void;
  /** The machine's `loginWatch` actor (in needsLogin: sends `credentials.ready` when a login starts or creds appear). */
  loginWatch?: AnyActorLogic;
  /** WS `web.login.start` / `web.login.wait` (WhatsApp). */
  loginStart?(params: { force?: boolean; timeoutMs?: number; phoneNumber?: string }): Promise<WebLoginResult>;
  loginWait?(params: { timeoutMs?: number; currentQrDataUrl?: string }): Promise<WebLoginResult>;
  /** Unlinks the account and wipes its credentials (WhatsApp); the account goes to needsLogin. */
  logout?(): Promise<void>;
  /** Extra snapshot fields (tokenSource, baseUrl, linked). */
  snapshotExtras?(): Partial<ChannelAccountSnapshot>;
}

/** What an account needs besides its adapter. */
export interface ChannelAccountDeps {
  config: ChannelAccountConfig;
  adapter: ChannelAdapter;
  outbox: ChannelOutbox;
  bus: Bus;
  clock: ChannelClock;
  /** The jitter source of the reconnect backoff (tests pass `() => 0`). */
  random?: () => number;
  log: Logger;
  /** Cluster mode: the account's lease key and the lease table. */
  lease?: { key: string; leases: ChannelLeases };
}

/** One channel account; see the file comment. */
export class ChannelAccount {
  readonly id: string;
  private actor?: ReturnType<typeof createSupervisedActor<typeof channelMachine>>['actor'];
  /** Sends, typing and the preview: running while the account is online. */
  private readonly outbound: AccountOutbound;
  private outboundStopped: Promise<void> = Promise.resolve();
  private state: ChannelState = 'stopped';
  private machineError: string | null = null;
  /** A transient error reported while online (a retried poll): shown until the next online. */
  private transientError: string | null = null;
  private attempts = 0;
  private readonly times = { lastStartAt: null as number | null, lastStopAt: null as number | null, lastConnectedAt: null as number | null,
    lastInboundAt: null as number | null, lastOutboundAt: null as number | null, lastTransportActivityAt: null as number | null, lastProbeAt: null as number | null };
  private activeRuns = 0;
  /** Messages in (past the self-loop step) and out (sent), for the inspector's row (I5). */
  private readonly counts = { in: 0, out: 0 };
  private lastProbe?: { ok: boolean; elapsedMs: number; error?: string };
  /** In standby: who holds the lease, when known. */
  private leaseOwner: string | null = null;
  /** Cluster mode, in standby: hands this instance's reply rows of the account to the holder. */
  private readonly forwarder?: RowForwarder;
  /** Cluster mode, while holding the lease: stops taking forwarded rows. */
  private stopServing?: () => void;

  constructor(private readonly deps: ChannelAccountDeps) {
    this.id = `${deps.config.channel}:${deps.config.accountId}`;
    const { config, adapter, outbox, bus, clock, log } = deps;
    this.outbound = new AccountOutbound({
      channel: config.channel, accountId: config.accountId, bus, outbox, sender: adapter.sender, clock, log,
      chunkLimit: config.textChunkLimit, streaming: (config as { streaming?: string }).streaming === 'partial',
      onSent: () => {
        this.times.lastOutboundAt = clock.now();
        this.counts.out++;
      },
      onRunStart: () => { this.activeRuns++; },
      onRunEnd: () => { this.activeRuns = Math.max(0, this.activeRuns - 1); },
    });
    const lease = deps.lease;
    if (lease) {
      lease.leases.onLost(lease.key, () => {
        log.warn({ account: this.id, lease: lease.key }, 'channel account lease lost: stopping its transport');
        this.actor?.send({ type: 'lease.lost' });
      });
      this.forwarder = new RowForwarder({
        channel: config.channel, accountId: config.accountId, outbox, clock, retryMs: lease.leases.retryMs, log,
        forward: (rows) => lease.leases.forward(lease.key, rows),
      });
    }
  }

  /** The account's lifecycle state. */
  get lifecycle(): ChannelState {
    return this.state;
  }

  /** START: a stopped or failed account (re)starts; otherwise nothing. */
  start(): void {
    if (!this.deps.config.enabled) return;
    if (!this.actor) this.actor = this.createActor();
    this.actor.send({ type: 'START' });
  }

  /** STOP: waits until the transport and the outbox worker have closed (bounded by the machine at 15 s). */
  async stop(): Promise<void> {
    const actor = this.actor;
    if (!actor) return;
    actor.send({ type: 'STOP' });
    await new Promise<void>((resolve) => {
      if (channelStateOf(actor.getSnapshot()) === 'stopped') return resolve();
      const sub = actor.subscribe({ next: (s) => { if (channelStateOf(s) === 'stopped') { sub.unsubscribe(); resolve(); } }, error: () => resolve() });
    });
    await this.outboundStopped;
  }

  /** The account's adapter (login, logout). */
  get adapter(): ChannelAdapter {
    return this.deps.adapter;
  }

  /** New outbox rows were committed: send them now if online; in standby, hand them to the holder. */
  kick(): void {
    if (this.state === 'online') this.outbound.kick();
    else if (this.state === 'standby') this.forwarder?.kick();
  }

  /** Cluster mode, at shutdown after the drain: hand the rows still pending here to the account's holder. */
  async forwardPending(): Promise<void> {
    await this.forwarder?.flush();
  }

  /** Cluster mode, the holder: rows forwarded by another instance, committed here (idempotent by row id). */
  private takeForwarded(raw: unknown[]): void {
    const { config, outbox } = this.deps;
    const rows = forwardedRows(raw, config.channel, config.accountId, outbox);
    if (outbox.enqueue(rows) > 0) this.kick();
  }

  /** A transient error while online (shown as lastError until the next online). */
  reportError(text: string): void {
    this.transientError = text;
  }

  /** Marks for `channels.status`. */
  mark(what: 'inbound' | 'activity'): void {
    const now = this.deps.clock.now();
    if (what === 'inbound') {
      this.times.lastInboundAt = now;
      this.counts.in++;
    } else this.times.lastTransportActivityAt = now;
  }

  /** A live check of the account (`channels.status {probe:true}`). */
  async probe(timeoutMs: number): Promise<void> {
    if (!this.deps.adapter.probe) return;
    this.lastProbe = await this.deps.adapter.probe(timeoutMs);
    this.times.lastProbeAt = this.deps.clock.now();
  }

  /** The status snapshot (spec channels.md §5.2). */
  snapshot(): ChannelAccountSnapshot {
    const c = this.deps.config;
    return {
      accountId: c.accountId, enabled: c.enabled, configured: true,
      running: this.state !== 'stopped' && this.state !== 'failed' && this.state !== 'standby', connected: this.state === 'online', state: this.state,
      reconnectAttempts: this.attempts, lastError: this.transientError ?? this.machineError,
      ...this.times, activeRuns: this.activeRuns, busy: this.activeRuns > 0,
      mode: this.deps.adapter.mode(), dmPolicy: c.dmPolicy, allowFrom: [...c.allowFrom],
      outbox: this.deps.outbox.counts(c.channel, c.accountId),
      ...(this.lastProbe ? { probe: this.lastProbe } : {}),
      ...(this.state === 'standby' ? { leaseOwner: this.leaseOwner } : {}),
      ...this.deps.adapter.snapshotExtras?.(),
    };
  }

  /** The machine's `leaseAcquire`: one ask; a lease won after the account left standby (a STOP meanwhile) is given back. */
  private async acquireLease(): Promise<LeaseAcquireOutput> {
    const { key, leases } = this.deps.lease!;
    if (await leases.acquire(key)) {
      if (this.state === 'standby') return { acquired: true };
      await leases.release(key);
      return { acquired: false };
    }
    const owner = await leases.owner(key).catch(() => undefined);
    return { acquired: false, ...(owner ? { owner } : {}) };
  }

  /** Stopped or failed: once the transport has closed, the lease goes (unless the account started again meanwhile). */
  private async releaseLease(): Promise<void> {
    const lease = this.deps.lease;
    if (!lease?.leases.holds(lease.key)) return;
    await Promise.allSettled([...this.deps.adapter.closing]);
    if (this.state !== 'stopped' && this.state !== 'failed') return;
    await lease.leases.release(lease.key).catch((err: unknown) => this.deps.log.warn({ err, account: this.id }, 'channel account lease not released (it expires after the TTL)'));
  }

  private createActor() {
    const { config, adapter, clock, log } = this.deps;
    const logic = channelMachine.provide({
      actors: {
        prepare: fromPromise(() => adapter.prepare()),
        transport: adapter.transport,
        ...(adapter.loginWatch ? { loginWatch: adapter.loginWatch } : {}),
        shutdown: fromPromise(async () => { await Promise.allSettled([...adapter.closing]); }),
        leaseAcquire: fromPromise(() => this.acquireLease()),
      },
    });
    const { actor } = createSupervisedActor(logic, {
      input: {
        channel: config.channel, accountId: config.accountId, backoff: BACKOFF[config.channel], random: this.deps.random,
        ...(this.deps.lease ? { lease: { retryMs: this.deps.lease.leases.retryMs } } : {}),
      },
      clock,
    }, {
      kind: 'channel', id: this.id, log,
      describe: () => ({
        messagesIn: this.counts.in, messagesOut: this.counts.out, activeRuns: this.activeRuns,
        ...(this.state === 'standby' ? { leaseOwner: this.leaseOwner } : {}),
      }),
      onFailure: (err) => {
        log.error({ err, account: this.id }, 'channel account actor failed; the account is stopped');
        this.enter('failed', 'internal error: see the gateway log');
      },
    });
    actor.subscribe({
      next: (s) => {
        this.leaseOwner = s.context.leaseOwner;
        this.enter(channelStateOf(s), s.context.lastError, s.context.reconnectAttempts);
      },
      error: () => {},
    });
    actor.start();
    return actor;
  }

  private enter(state: ChannelState, lastError: string | null, attempts = this.attempts): void {
    this.attempts = attempts;
    this.machineError = lastError;
    if (state === this.state) return;
    const now = this.deps.clock.now();
    const left = this.state;
    this.state = state;
    if (state === 'starting') this.times.lastStartAt = now;
    if (state === 'stopped') this.times.lastStopAt = now;
    if (state === 'online') {
      this.times.lastConnectedAt = now;
      this.transientError = null;
      this.outbound.start();
      this.deps.adapter.onOnline?.();
    }
    if (left === 'online') this.outboundStopped = this.outbound.stop();
    if (state === 'stopped' || state === 'failed') void this.releaseLease();
    const lease = this.deps.lease;
    if (lease) {
      if (state === 'standby') this.forwarder?.start();
      else this.forwarder?.stop();
      if (HOLDING.has(state)) this.stopServing ??= lease.leases.serve(lease.key, (rows) => this.takeForwarded(rows));
      else {
        this.stopServing?.();
        this.stopServing = undefined;
      }
    }
    this.deps.log.info({ account: this.id, state, ...(lastError ? { lastError } : {}) }, 'channel account state');
    this.deps.bus.publish('channel.state', { channel: this.deps.config.channel, accountId: this.deps.config.accountId, state, ...(lastError ? { lastError } : {}) });
  }
}
