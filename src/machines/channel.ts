import { assign, fromCallback, fromPromise, setup, type SnapshotFrom } from 'xstate';
import type { ChannelName, ChannelState } from '../core/channel.js';

// One channel account's lifecycle (channels.md §1.3, C1): stopped → starting → (needsLogin | connecting) →
// online ⇄ backoff → failed, and stopping from anywhere. Pure: the channel's own code (credentials, the
// transport, the login watcher, closing) comes in as actor logic the adapter provides with `.provide({ actors })`;
// the adapter observes snapshots, the machine emits nothing. connecting and online are children of one
// `live` state that owns the single transport invocation, so going online never restarts the transport.
// In cluster mode (input `lease`) an account runs only while this instance holds its lease: START leads to
// `standby`, which asks for the lease (the provided `leaseAcquire`) now and every `leaseRetryMs`, and goes on to
// `starting` once it is held; `lease.lost` (sent by the account when a renewal fails) goes back to `standby`
// from every state that runs something, so leaving `live` disposes the transport at once.

/** How an account backs off between reconnects (C1). */
export interface BackoffPolicy {
  /** Delay before reconnect attempt 1. */
  initialMs: number;
  /** Cap of every delay. */
  maxMs: number;
  /** Growth per attempt. */
  factor: number;
  /** Up to this fraction is added (jitter only lengthens). */
  jitter: number;
  /** Consecutive failed connects allowed before `failed`; absent = retry forever. */
  maxAttempts?: number;
}

/** The C1 backoff table, per channel. */
export const BACKOFF: Readonly<Record<ChannelName, Readonly<BackoffPolicy>>> = Object.freeze({
  telegram: Object.freeze({ initialMs: 2000, maxMs: 30_000, factor: 1.8, jitter: 0.25 }),
  whatsapp: Object.freeze({ initialMs: 2000, maxMs: 30_000, factor: 1.8, jitter: 0.25, maxAttempts: 12 }),
  signal: Object.freeze({ initialMs: 1000, maxMs: 30_000, factor: 1.8, jitter: 0.25 }),
});

/** How long `stopping` waits for the transport to close before it gives up and enters `stopped` (C1). */
export const STOP_GRACE_MS = 15_000;

/**
 * Delay before reconnect attempt `attempt` (1-based): `min(maxMs, initialMs · factor^(attempt−1) · (1 + jitter · u))`
 * with `u` uniform in [0, 1] (C1), rounded to whole milliseconds (so 1.8^n's float error never shifts a timer).
 * Throws a RangeError on an attempt below 1 or a `u` outside [0, 1].
 */
export function reconnectDelay(attempt: number, policy: BackoffPolicy, u: number): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`reconnect attempt must be an integer ≥ 1, got ${attempt}`);
  if (!(u >= 0 && u <= 1)) throw new RangeError(`jitter sample must be in [0, 1], got ${u}`);
  return Math.round(Math.min(policy.maxMs, policy.initialMs * policy.factor ** (attempt - 1) * (1 + policy.jitter * u)));
}

/** What the adapter gives an account actor. */
export interface ChannelMachineInput {
  channel: ChannelName;
  accountId: string;
  backoff: BackoffPolicy;
  /** The jitter source, uniform in [0, 1); Math.random unless a test injects one. */
  random?: () => number;
  /** Cluster mode: run only while holding the account's lease, asking for it every `leaseRetryMs` in `standby`. */
  lease?: { retryMs: number };
}

/** An account actor's context. */
export interface ChannelContext {
  channel: ChannelName;
  accountId: string;
  backoff: BackoffPolicy;
  random: () => number;
  /** Consecutive failed connects; 0 on START and on entering `online`. */
  reconnectAttempts: number;
  /** The last error, kept until the next `online`. */
  lastError: string | null;
  /** Cluster mode: how often `standby` asks for the lease; absent = no lease (one process). */
  leaseRetryMs: number | null;
  /** In `standby`: the instance that holds the lease, when known. */
  leaseOwner: string | null;
}

/** Which account an invoked actor works for (input of `prepare`, `loginWatch` and `shutdown`). */
export interface ChannelAccountRef {
  channel: ChannelName;
  accountId: string;
}

/** What `prepare` found: usable credentials (connect), or none (`needsLogin`, with the reason in `error`). */
export interface PrepareOutput {
  needsLogin?: boolean;
  error?: string;
}

/** What `leaseAcquire` found: the lease is ours now, or another instance's (`owner`, when it could be read). */
export interface LeaseAcquireOutput {
  acquired: boolean;
  owner?: string;
}

/** Input of the `transport` actor: the account and the number of this connect (0 first, n for reconnect n). */
export interface TransportInput extends ChannelAccountRef {
  attempt: number;
}

/** What the transport (and the login watcher) send an account actor. */
export type TransportEvent =
  | { type: 'transport.online' }
  /** Transient: back off and reconnect. */
  | { type: 'transport.down'; error: string }
  /** No retry until START (bad token, logged out elsewhere…). */
  | { type: 'transport.fatal'; error: string }
  | { type: 'transport.needsLogin'; error: string }
  /** A new transport at once, not counted as an attempt (WhatsApp 515 after a QR scan). */
  | { type: 'transport.restart' }
  | { type: 'credentials.ready' };

/** Every event an account actor takes from outside (the control plane sends START and STOP). */
export type ChannelEvent = { type: 'START' } | { type: 'STOP' } | { type: 'lease.lost' } | TransportEvent;

const accountOf = ({ context }: { context: ChannelContext }): ChannelAccountRef => ({
  channel: context.channel,
  accountId: context.accountId,
});

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The account actor (channels.md §1.3). Provide `prepare`, `transport`, `loginWatch` and `shutdown`. */
export const channelMachine = setup({
  types: {
    context: {} as ChannelContext,
    events: {} as ChannelEvent,
    input: {} as ChannelMachineInput,
  },
  actors: {
    // placeholders: the adapter provides the channel's real logic
    prepare: fromPromise<PrepareOutput, ChannelAccountRef>(async () => {
      throw new Error('no prepare actor provided for this channel');
    }),
    transport: fromCallback<TransportEvent, TransportInput>(() => undefined),
    loginWatch: fromCallback<TransportEvent, ChannelAccountRef>(() => undefined),
    shutdown: fromPromise<void, ChannelAccountRef>(async () => undefined),
    leaseAcquire: fromPromise<LeaseAcquireOutput, ChannelAccountRef>(async () => {
      throw new Error('no leaseAcquire actor provided for this account');
    }),
  },
  delays: {
    reconnect: ({ context }) => reconnectDelay(context.reconnectAttempts, context.backoff, context.random()),
    stopGrace: STOP_GRACE_MS,
    leaseRetry: ({ context }) => context.leaseRetryMs ?? 0,
  },
  guards: {
    leased: ({ context }) => context.leaseRetryMs !== null,
    budgetSpent: ({ context }) =>
      context.backoff.maxAttempts !== undefined && context.reconnectAttempts + 1 > context.backoff.maxAttempts,
  },
  actions: {
    resetAttempts: assign({ reconnectAttempts: 0 }),
    noteError: assign({ lastError: ({ event }) => ('error' in event ? event.error : null) }),
  },
}).createMachine({
  id: 'channel',
  initial: 'stopped',
  context: ({ input }) => ({
    channel: input.channel,
    accountId: input.accountId,
    backoff: input.backoff,
    random: input.random ?? Math.random,
    reconnectAttempts: 0,
    lastError: null,
    leaseRetryMs: input.lease?.retryMs ?? null,
    leaseOwner: null,
  }),
  states: {
    stopped: {
      on: { START: [{ guard: 'leased', target: 'standby', actions: 'resetAttempts' }, { target: 'starting', actions: 'resetAttempts' }] },
    },
    // cluster mode: another instance runs the account (or nobody yet); ask for the lease until it is ours
    standby: {
      initial: 'acquiring',
      states: {
        acquiring: {
          invoke: {
            id: 'leaseAcquire',
            src: 'leaseAcquire',
            input: accountOf,
            onDone: [
              { guard: ({ event }) => event.output.acquired, target: '#channel.starting', actions: assign({ leaseOwner: null }) },
              { target: 'waiting', actions: assign({ leaseOwner: ({ event }) => event.output.owner ?? null }) },
            ],
            onError: { target: 'waiting', actions: assign({ lastError: ({ event }) => `lease: ${messageOf(event.error)}` }) },
          },
        },
        waiting: { after: { leaseRetry: 'acquiring' } },
      },
      on: { STOP: 'stopped' },
    },
    starting: {
      invoke: {
        id: 'prepare',
        src: 'prepare',
        input: accountOf,
        onDone: [
          {
            guard: ({ event }) => event.output?.needsLogin === true,
            target: 'needsLogin',
            actions: assign({ lastError: ({ context, event }) => event.output.error ?? context.lastError }),
          },
          { target: 'live' },
        ],
        onError: { target: 'failed', actions: assign({ lastError: ({ event }) => messageOf(event.error) }) },
      },
      on: { STOP: 'stopping', 'lease.lost': { guard: 'leased', target: 'standby' } },
    },
    needsLogin: {
      invoke: { id: 'loginWatch', src: 'loginWatch', input: accountOf },
      on: { 'credentials.ready': 'live', STOP: 'stopping', 'lease.lost': { guard: 'leased', target: 'standby' } },
    },
    // owns the one transport of connecting and online; leaving it disposes the transport
    live: {
      initial: 'connecting',
      invoke: {
        id: 'transport',
        src: 'transport',
        input: ({ context }) => ({ channel: context.channel, accountId: context.accountId, attempt: context.reconnectAttempts }),
      },
      states: {
        connecting: {
          on: { 'transport.online': { target: 'online', actions: [assign({ lastError: null }), 'resetAttempts'] } },
        },
        online: {},
      },
      on: {
        'transport.down': [
          {
            guard: 'budgetSpent',
            target: 'failed',
            actions: assign({ lastError: ({ context }) => `reconnect attempts exhausted (${context.backoff.maxAttempts})` }),
          },
          {
            target: 'backoff',
            actions: [assign({ reconnectAttempts: ({ context }) => context.reconnectAttempts + 1 }), 'noteError'],
          },
        ],
        'transport.fatal': { target: 'failed', actions: 'noteError' },
        'transport.needsLogin': { target: 'needsLogin', actions: 'noteError' },
        'transport.restart': { target: 'live', reenter: true },
        STOP: 'stopping',
        'lease.lost': { guard: 'leased', target: 'standby' },
      },
    },
    backoff: {
      after: { reconnect: 'live' },
      on: { STOP: 'stopping', 'lease.lost': { guard: 'leased', target: 'standby' } },
    },
    // cluster mode: the account gives its lease up here (channel-account.ts), so START asks for it again
    failed: {
      on: {
        START: [{ guard: 'leased', target: 'standby', actions: 'resetAttempts' }, { target: 'starting', actions: 'resetAttempts' }],
        STOP: 'stopping',
      },
    },
    stopping: {
      invoke: { id: 'shutdown', src: 'shutdown', input: accountOf, onDone: 'stopped', onError: 'stopped' },
      after: { stopGrace: 'stopped' },
    },
  },
});

/** An account actor's snapshot. */
export type ChannelSnapshot = SnapshotFrom<typeof channelMachine>;

/** The flat state name (src/core/channel.ts `ChannelState`) of an account actor's snapshot. */
export function channelStateOf(snapshot: Pick<ChannelSnapshot, 'value'>): ChannelState {
  const value = snapshot.value;
  if (typeof value === 'string') return value;
  return 'live' in value ? value.live : 'standby';
}
