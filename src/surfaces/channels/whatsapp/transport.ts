import { type CallbackActorLogic, fromCallback } from 'xstate';
import type { ChannelClock, WhatsAppAccountConfig } from '../../../core/channel.js';
import type { Logger } from '../../../core/log.js';
import type { TransportEvent, TransportInput } from '../../../machines/channel.js';
import type { WaAuthState } from '../../../store/wa-auth.js';
import { type LoginState, NOT_LINKED_ERROR } from './login.js';
import type { MakeSocket, SocketOptions, WASocketEvents, WASocketLike } from './socket.js';

// The account machine's `transport` actor for WhatsApp (spec channels.md WA3, WA4): one Baileys socket per actor.
// It saves creds on every `creds.update`, feeds the web login (QR rotation, the pairing code on the first QR), and
// maps `connection.update`: `open` → transport.online; `close` by the Boom status code of `lastDisconnect.error`
// per the WA4 table. A socket of an account that is not linked yet is a login socket: it ends at the login's
// 180 s deadline. Disposal ends the socket and removes every listener and timer.

/** The account's credentials store (src/store/wa-auth.ts `WaAuthStore` bound to the account and Baileys' helpers). */
export interface WhatsAppAuth {
  /** The current creds and keys (fresh creds after a wipe). */
  load(): WaAuthState | Promise<WaAuthState>;
  /** Deletes the account's creds and keys (logout, forced relink, WA4 401 and a repeated 500). */
  wipe(): void | Promise<void>;
  /** Creds exist and belong to a linked device. */
  isLinked(): boolean;
}

/** What the transport needs from the adapter. */
export interface WhatsAppTransportDeps {
  config: WhatsAppAccountConfig;
  makeSocket: MakeSocket;
  auth: WhatsAppAuth;
  clock: ChannelClock;
  log: Logger;
  login: LoginState;
  /** The live socket, or undefined once it is gone (the sender and the inbound side use it). */
  onSocket(sock: WASocketLike | undefined): void;
  /** A `messages.upsert` of the live socket (the inbound pipeline). */
  onMessages(upsert: WASocketEvents['messages.upsert'], sock: WASocketLike): void | Promise<void>;
  onActivity(): void;
  setLastError(text: string): void;
  /** Answers Baileys' retry requests from the outbox (WA1); nothing by default. */
  getMessage?: SocketOptions['getMessage'];
}

/** lastError of a 401 (WA4). */
export const LOGGED_OUT_ERROR = 'logged out: re-link with clawgate channels login whatsapp';
/** lastError of a 440 (WA4). */
export const REPLACED_ERROR = 'connection replaced: another WhatsApp Web session took over';
/** lastError of a 403 (WA4). */
export const FORBIDDEN_ERROR = 'forbidden by WhatsApp (the number may be banned)';
/** lastError of a 411 (WA4). */
export const MISMATCH_ERROR = 'multi-device mismatch: re-link';
/** lastError of a second consecutive 500 (WA4). */
export const BAD_SESSION_ERROR = 'bad session twice: credentials wiped, re-link with clawgate channels login whatsapp';
/** lastError of a login socket past its deadline (WA3). */
export const LOGIN_TIMED_OUT_ERROR = 'login timed out';

/** Baileys' DisconnectReason names of the codes a close may carry (for readable errors). */
const CLOSE_NAMES: Readonly<Record<number, string>> = {
  401: 'logged out', 403: 'forbidden', 408: 'timed out', 411: 'multi-device mismatch', 428: 'connection closed',
  440: 'connection replaced', 500: 'bad session', 503: 'service unavailable', 515: 'restart required',
};

/** The Boom status code of a close's `lastDisconnect.error`, when it has one. */
export function closeStatusCode(error: unknown): number | undefined {
  const code = (error as { output?: { statusCode?: unknown } } | undefined)?.output?.statusCode;
  if (typeof code !== 'number') return undefined;
  // Baileys gives 500 to any socket error without an errno code: a network failure, not a bad session (which
  // would wipe the link); it is transient like a refused connection (408)
  if (code === 500 && /^WebSocket Error \(/.test((error as Error).message ?? '')) return 408;
  return code;
}

/** What a transient close shows as lastError: the code and its name, or the error text. */
export function closeErrorText(code: number | undefined, error: unknown): string {
  if (code === undefined) return `connection closed: ${error instanceof Error ? error.message : 'no reason given'}`;
  const name = CLOSE_NAMES[code];
  return name ? `connection closed (${code} ${name})` : `connection closed (${code})`;
}

type Report =
  | { type: 'transport.online' }
  | { type: 'transport.down'; error: string }
  | { type: 'transport.fatal'; error: string }
  | { type: 'transport.needsLogin'; error: string }
  | { type: 'transport.restart' };

/** The `transport` actor logic of one WhatsApp account (one socket per invocation). */
export function whatsappTransport(deps: WhatsAppTransportDeps): CallbackActorLogic<TransportEvent, TransportInput> {
  // per account, across sockets: a 500 is retried once, the second in a row wipes (WA4)
  const badSessions = { count: 0 };
  return fromCallback<TransportEvent, TransportInput>(({ sendBack }) => {
    const attempt = new WhatsAppAttempt(deps, badSessions, (e) => sendBack(e));
    void attempt.run();
    return () => attempt.dispose();
  });
}

/** One socket: its listeners, its login deadline, its end. */
class WhatsAppAttempt {
  private disposed = false;
  private reported = false;
  private sock: WASocketLike | undefined;
  private loginTimer: unknown;
  private qrSeen = false;
  /** Set once this socket's creds are being wiped (401, a second 500). */
  private wiping = false;
  private readonly detach: (() => void)[] = [];

  constructor(
    private readonly deps: WhatsAppTransportDeps,
    private readonly badSessions: { count: number },
    private readonly send: (e: Report) => void,
  ) {}

  /** Reports once (online excepted); nothing after disposal (the machine has moved on). */
  private report(e: Report): void {
    if (this.disposed || this.reported) return;
    if (e.type !== 'transport.online') this.reported = true;
    this.send(e);
  }

  private get who() {
    return { channel: 'whatsapp', accountId: this.deps.config.accountId };
  }

  async run(): Promise<void> {
    const { deps } = this;
    // a forced relink (web.login.start {force}) wiped the creds: a new socket at once (even while this one is made)
    this.detach.push(deps.login.onRequest((kind) => { if (kind === 'relink') this.report({ type: 'transport.restart' }); }));
    try {
      const loginSocket = !deps.auth.isLinked();
      // unlinked while away (logout in backoff): no socket showing QR codes to nobody until a web login asks
      if (loginSocket && !deps.login.pending) return this.report({ type: 'transport.needsLogin', error: NOT_LINKED_ERROR });
      const auth = await deps.auth.load();
      if (this.disposed) return;
      const sock = await deps.makeSocket({
        accountId: deps.config.accountId, auth, log: deps.log, getMessage: deps.getMessage ?? (async () => undefined),
      });
      if (this.disposed) {
        sock.end(undefined);
        return;
      }
      this.sock = sock;
      this.listen(sock, 'creds.update', () => {
        deps.onActivity();
        if (this.wiping) return; // never write back creds that are being wiped
        Promise.resolve().then(() => auth.saveCreds()).catch((err: unknown) => deps.log.error({ ...this.who, err }, 'whatsapp creds not saved'));
      });
      this.listen(sock, 'connection.update', (u) => this.onUpdate(sock, auth, u));
      this.listen(sock, 'messages.upsert', (upsert) => {
        deps.onActivity();
        Promise.resolve().then(() => deps.onMessages(upsert, sock)).catch((err: unknown) => deps.log.error({ ...this.who, err }, 'whatsapp inbound failed'));
      });
      if (loginSocket) this.loginTimer = deps.clock.setTimeout(() => this.loginTimedOut(), deps.login.remainingMs());
      deps.onSocket(sock);
    } catch (err) {
      this.report({ type: 'transport.down', error: `socket failed: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  private listen<E extends keyof WASocketEvents>(sock: WASocketLike, event: E, listener: (arg: WASocketEvents[E]) => void): void {
    sock.ev.on(event, listener);
    this.detach.push(() => { sock.ev.off(event, listener); });
  }

  private onUpdate(sock: WASocketLike, auth: WaAuthState, u: WASocketEvents['connection.update']): void {
    const { deps } = this;
    if (this.disposed) return;
    deps.onActivity();
    if (typeof u.qr === 'string') this.onQr(sock, u.qr);
    if (u.connection === 'open') {
      this.badSessions.count = 0;
      this.clearLoginTimer();
      Promise.resolve().then(() => auth.saveCreds()).catch((err: unknown) => deps.log.error({ ...this.who, err }, 'whatsapp creds not saved'));
      deps.login.markLinked();
      this.report({ type: 'transport.online' });
    } else if (u.connection === 'close') {
      void this.onClose(u.lastDisconnect?.error);
    }
  }

  /** WA3: every QR rotates the login's QR; the first one asks for a pairing code when a number was given. */
  private onQr(sock: WASocketLike, qr: string): void {
    const { deps } = this;
    deps.login.setQr(qr).catch((err: unknown) => deps.log.warn({ ...this.who, err }, 'whatsapp QR not rendered'));
    if (this.qrSeen) return;
    this.qrSeen = true;
    const phone = deps.login.phoneNumber;
    if (phone === undefined || sock.authState.creds.registered) return;
    sock.requestPairingCode(phone).then(
      (code) => { if (!this.disposed) deps.login.setPairingCode(code); },
      (err: unknown) => {
        const text = `pairing code request failed: ${err instanceof Error ? err.message : String(err)}`;
        deps.log.warn({ ...this.who, error: text }, 'whatsapp pairing code not requested');
        deps.setLastError(text);
      },
    );
  }

  /** WA4: what a close means, by its status code. */
  private async onClose(error: unknown): Promise<void> {
    const { deps } = this;
    const code = closeStatusCode(error);
    if (code !== 500) this.badSessions.count = 0;
    switch (code) {
      case 515:
        return this.report({ type: 'transport.restart' });
      case 401:
        return this.wipeToLogin(LOGGED_OUT_ERROR);
      case 440:
        return this.fatal(REPLACED_ERROR);
      case 403:
        return this.fatal(FORBIDDEN_ERROR);
      case 411:
        return this.fatal(MISMATCH_ERROR);
      case 500:
        if (++this.badSessions.count >= 2) {
          this.badSessions.count = 0;
          return this.wipeToLogin(BAD_SESSION_ERROR);
        }
        return this.report({ type: 'transport.down', error: closeErrorText(code, error) });
      default: {
        const text = closeErrorText(code, error);
        deps.log.info({ ...this.who, error: text }, 'whatsapp connection closed');
        return this.report({ type: 'transport.down', error: text });
      }
    }
  }

  private fatal(error: string): void {
    if (this.disposed) return;
    this.deps.login.fail(error);
    this.report({ type: 'transport.fatal', error });
  }

  /** Credentials are gone for good: wipe them and wait for a new web login. */
  private async wipeToLogin(error: string): Promise<void> {
    const { deps } = this;
    if (this.disposed) return;
    this.wiping = true;
    this.clearLoginTimer();
    try {
      await deps.auth.wipe();
    } catch (err) {
      deps.log.error({ ...this.who, err }, 'whatsapp credentials not wiped');
    }
    deps.login.unlink();
    deps.login.fail(error);
    this.report({ type: 'transport.needsLogin', error });
  }

  private loginTimedOut(): void {
    this.loginTimer = undefined;
    if (this.disposed) return;
    this.deps.login.fail(LOGIN_TIMED_OUT_ERROR);
    this.report({ type: 'transport.needsLogin', error: LOGIN_TIMED_OUT_ERROR });
  }

  private clearLoginTimer(): void {
    if (this.loginTimer !== undefined) this.deps.clock.clearTimeout(this.loginTimer);
    this.loginTimer = undefined;
  }

  /** The machine left the state: no listener, no timer, the socket ended. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.clearLoginTimer();
    for (const undo of this.detach.splice(0)) undo();
    const sock = this.sock;
    this.sock = undefined;
    if (!sock) return;
    this.deps.onSocket(undefined);
    const ended = (err: unknown) => this.deps.log.debug({ ...this.who, err }, 'whatsapp socket end failed');
    try {
      Promise.resolve(sock.end(undefined)).catch(ended);
    } catch (err) {
      ended(err);
    }
  }
}
