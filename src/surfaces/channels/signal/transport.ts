import { type CallbackActorLogic, fromCallback } from 'xstate';
import type { ChannelClock, ChannelMessage, SignalAccountConfig } from '../../../core/channel.js';
import type { Logger } from '../../../core/log.js';
import type { ChannelAccountRef, PrepareOutput, TransportEvent, TransportInput } from '../../../machines/channel.js';
import { type SignalClient, type SignalMode, SignalUnreachable } from './client.js';
import type { SignalEnvelope } from './envelope.js';
import { normalizeEnvelope, ownUuidFrom } from './normalize.js';

// The account machine's `transport` actor for Signal (spec channels.md SG1, SG2, C10): one connect attempt per
// actor. GET /v1/about (unreachable → down: the machine backs off), GET /v1/accounts (the number missing →
// needsLogin; the login watcher below re-checks every 60 s), then the receiver the server's mode calls for:
// json-rpc → one WebSocket (online once open; a close or a missing pong → down), normal/native → a loop of long
// polls (online after the first one answered; a failure → down). Every envelope goes to the pipeline in arrival
// order, one at a time. Disposal closes the socket or aborts the poll; the work still under way is registered
// in `closing`, so the machine's shutdown awaits it and no request outlives the account.

/** The long-poll `timeout` of GET /v1/receive, in seconds (SG1). */
export const POLL_TIMEOUT_S = 10;
/**
 * The first poll of an attempt waits at most this long, so an idle account is online within a second instead
 * of after a whole empty long poll (the poll still proves the receive path works).
 */
export const FIRST_POLL_TIMEOUT_S = 1;
/** How often `needsLogin` asks the server whether the number is registered or linked now (SG1). */
export const LOGIN_RECHECK_MS = 60_000;

/** lastError of an unreachable server. */
export function unreachableError(apiUrl: string): string {
  return `signal-cli-rest-api unreachable at ${apiUrl}`;
}

/** lastError of a number the server does not know. */
export function notRegisteredError(account: string): string {
  return `account ${account} is not registered or linked on the signal-cli-rest-api server`;
}

/** The events the transport sends to the account machine. */
export type SignalTransportEvent =
  | { type: 'transport.online' }
  | { type: 'transport.down'; error: string }
  | { type: 'transport.needsLogin'; error: string };

/** The log methods the transport uses. */
export type SignalLog = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** What of the SignalClient the receive side uses (tests may pass a stand-in). */
export type SignalReceiveClient = Pick<SignalClient, 'about' | 'accounts' | 'receivePoll' | 'receiveWs'>;

/** What the transport needs from the account and the pipeline. */
export interface SignalTransportDeps {
  config: SignalAccountConfig;
  client: SignalReceiveClient;
  clock: ChannelClock;
  log: SignalLog;
  /** The pipeline: commits the message (or its drop). `message` is undefined for envelopes that start nothing. */
  handle(env: SignalEnvelope, message: ChannelMessage | undefined): Promise<void>;
  /** True when this account sent a message with this timestamp in the last 24 h (an outbox `remote_id`, C10). */
  sentTimestamps(ts: number): boolean;
  /** The own UUID stored earlier (`channel_meta`), if any (SG1). */
  ownUuid?(): string | undefined;
  /** The own UUID was learned: store it. */
  onOwnUuid?(uuid: string): void;
  /** A completed poll or a WebSocket frame (status `lastTransportActivityAt`). */
  onActivity(): void;
  /** A transient error while online (an `{error}` frame, a failed envelope): status `lastError`. */
  setLastError(text: string): void;
  /** The server's receive mode (status `mode`). */
  onMode(mode: SignalMode): void;
  /** Work still under way after disposal (awaited by the next attempt's start and by the machine's shutdown). */
  closing?: Set<Promise<void>>;
}

/** The `transport` actor logic for one Signal account. */
export function signalTransport(deps: SignalTransportDeps): CallbackActorLogic<TransportEvent, TransportInput> {
  const learned: { uuid?: string } = {}; // survives reconnects of this account
  return fromCallback<TransportEvent, TransportInput>(({ sendBack }) => {
    const attempt = new SignalAttempt(deps, learned, (e) => sendBack(e));
    void attempt.run();
    return () => attempt.dispose();
  });
}

/** The `prepare` of a Signal account: nothing to load (the server holds the credentials; the transport checks them). */
export async function signalPrepare(): Promise<PrepareOutput> {
  return {};
}

/**
 * The `loginWatch` actor of a Signal account in `needsLogin`: asks `GET /v1/accounts` every 60 s and sends
 * `credentials.ready` once the number is listed (linking is done on the server). Errors wait for the next check.
 */
export function signalLoginWatch(client: Pick<SignalClient, 'accounts' | 'account'>, clock: ChannelClock): CallbackActorLogic<TransportEvent, ChannelAccountRef> {
  return fromCallback<TransportEvent, ChannelAccountRef>(({ sendBack }) => {
    let stopped = false;
    let timer: unknown;
    const check = async (): Promise<void> => {
      timer = undefined;
      const listed = await client.accounts().then((list) => list.includes(client.account), () => false);
      if (stopped) return;
      if (listed) sendBack({ type: 'credentials.ready' });
      else timer = clock.setTimeout(() => void check(), LOGIN_RECHECK_MS);
    };
    timer = clock.setTimeout(() => void check(), LOGIN_RECHECK_MS);
    return () => {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
    };
  });
}

/** One connect attempt: its receiver, its envelope queue and its stop. */
class SignalAttempt {
  private readonly abort = new AbortController();
  private disposed = false;
  private reported = false;
  private online = false;
  private socket: { close(): void } | undefined;
  /** The envelopes handed to the pipeline so far, chained: each waits for the one before. */
  private queue: Promise<void> = Promise.resolve();
  private readonly done: Promise<void>;
  private finish!: () => void;

  constructor(
    private readonly deps: SignalTransportDeps,
    private readonly learned: { uuid?: string },
    private readonly send: (e: SignalTransportEvent) => void,
  ) {
    this.done = new Promise<void>((resolve) => { this.finish = resolve; });
  }

  /** Reports online once and any other event once; nothing after disposal (the machine has moved on). */
  private report(e: SignalTransportEvent): void {
    if (this.disposed || this.reported) return;
    if (e.type === 'transport.online') {
      if (this.online) return;
      this.online = true;
    } else {
      this.reported = true;
    }
    this.send(e);
  }

  async run(): Promise<void> {
    const { config, client } = this.deps;
    try {
      let mode: SignalMode;
      try {
        mode = (await client.about()).mode;
      } catch (err) {
        const why = err instanceof SignalUnreachable ? unreachableError(config.apiUrl) : `signal-cli-rest-api about failed: ${errorText(err)}`;
        return this.report({ type: 'transport.down', error: why });
      }
      if (this.disposed) return;
      this.deps.onMode(mode);
      let accounts: string[];
      try {
        accounts = await client.accounts();
      } catch (err) {
        const why = err instanceof SignalUnreachable ? unreachableError(config.apiUrl) : `signal-cli-rest-api accounts failed: ${errorText(err)}`;
        return this.report({ type: 'transport.down', error: why });
      }
      if (this.disposed) return;
      if (!accounts.includes(config.account)) return this.report({ type: 'transport.needsLogin', error: notRegisteredError(config.account) });
      if (mode === 'json-rpc') this.openSocket();
      else await this.pollLoop();
    } catch (err) {
      this.report({ type: 'transport.down', error: `signal receive failed: ${errorText(err)}` });
    } finally {
      if (!this.socket) this.settle();
    }
  }

  /** json-rpc: messages flow while the socket is open; whatever ends it is a reconnect through backoff. */
  private openSocket(): void {
    this.socket = this.deps.client.receiveWs({
      onOpen: () => {
        this.deps.onActivity();
        this.report({ type: 'transport.online' });
      },
      onEnvelope: (env) => {
        this.deps.onActivity();
        this.enqueue(env);
      },
      onError: (message) => {
        this.deps.onActivity();
        this.deps.setLastError(`signal receive: ${message}`);
      },
      onClose: (reason) => {
        this.settle();
        this.report({ type: 'transport.down', error: reason });
      },
    });
  }

  /** normal / native: long polls one after the other; the envelopes of a poll are handled before the next. */
  private async pollLoop(): Promise<void> {
    let timeoutS = FIRST_POLL_TIMEOUT_S;
    while (!this.disposed) {
      let envelopes: SignalEnvelope[];
      try {
        envelopes = await this.deps.client.receivePoll(timeoutS, this.abort.signal);
      } catch (err) {
        if (this.disposed) return;
        const why = err instanceof SignalUnreachable ? unreachableError(this.deps.config.apiUrl) : `signal receive failed: ${errorText(err)}`;
        return this.report({ type: 'transport.down', error: why });
      }
      this.deps.onActivity();
      this.report({ type: 'transport.online' });
      timeoutS = POLL_TIMEOUT_S;
      for (const env of envelopes) this.enqueue(env);
      await this.queue;
    }
  }

  /** Hands an envelope to the pipeline after the ones before it. */
  private enqueue(env: SignalEnvelope): void {
    this.queue = this.queue.then(() => this.handleOne(env));
  }

  /**
   * Normalizes and hands over one envelope. A pipeline failure loses this envelope (the server has already
   * delivered it and will not again), so it is logged and shown as lastError, and the next one goes on.
   */
  private async handleOne(env: SignalEnvelope): Promise<void> {
    const { config, log } = this.deps;
    const known = this.learned.uuid ?? this.deps.ownUuid?.();
    if (known === undefined) {
      const uuid = ownUuidFrom(env, config.account);
      if (uuid !== undefined) {
        this.learned.uuid = uuid;
        this.deps.onOwnUuid?.(uuid);
      }
    } else {
      this.learned.uuid = known;
    }
    let message: ChannelMessage | undefined;
    try {
      message = normalizeEnvelope(env, {
        accountId: config.accountId, account: config.account, config, sentTimestamps: (ts) => this.deps.sentTimestamps(ts),
        ...(this.learned.uuid !== undefined && { ownUuid: this.learned.uuid }),
      });
      await this.deps.handle(env, message);
    } catch (err) {
      const text = `signal envelope ${String(env.timestamp)} not handled: ${errorText(err)}`;
      log.error({ channel: 'signal', accountId: config.accountId, err }, text);
      this.deps.setLastError(text);
    }
  }

  /** The attempt's work is over: its promise (registered in `closing`) resolves once the queue has drained. */
  private settle(): void {
    void this.queue.then(() => this.finish());
  }

  /** The machine left the state: close the socket or abort the poll; the drain is registered in `closing`. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.abort.abort();
    this.socket?.close();
    if (this.socket) this.settle();
    const closing = this.deps.closing;
    if (!closing) return;
    const done = this.done.finally(() => closing.delete(done));
    closing.add(done);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
