import { type CallbackActorLogic, fromCallback } from 'xstate';
import { type ChannelClock, WEB_LOGIN_FAILED_PREFIX, WEB_LOGIN_NONE_MESSAGE, type WebLoginResult } from '../../../core/channel.js';
import type { ChannelAccountRef, TransportEvent } from '../../../machines/channel.js';

// The web login of one WhatsApp account (spec channels.md WA3, §5.1 web.login.start / web.login.wait): what the
// login socket has shown so far (the rotating QR, or the pairing code), whether the account is linked, and the
// callers waiting for either. The transport feeds it (setQr, setPairingCode, linked, fail); the WS methods read
// it. Every timeout reads the channel clock, so tests drive them with SimulatedClock.

/** `web.login.start` answers within this (default `timeoutMs`). */
export const LOGIN_START_TIMEOUT_MS = 30_000;
/** `web.login.wait` answers within this (default `timeoutMs`). */
export const LOGIN_WAIT_TIMEOUT_MS = 120_000;
/** A login socket not linked within this ends in needsLogin `login timed out` (WA3). */
export const LOGIN_TIMEOUT_MS = 180_000;
/** The longest QR data URL handed out (WA3). */
export const QR_DATA_URL_MAX = 16_384;

/** Why an account without linked creds waits in needsLogin. */
export const NOT_LINKED_ERROR = 'not linked: run clawgate channels login whatsapp';
/** `message` of a wait that timed out while the login goes on. */
export const WAITING_MESSAGE = 'waiting for the QR code to be scanned';

/** What the login needs of the account's credentials. */
export interface LoginAuth {
  /** Creds exist and belong to a linked device. */
  isLinked(): boolean;
  /** Deletes the account's creds and keys. */
  wipe(): void | Promise<void>;
}

/** Renders QR text as a `data:image/png;base64,…` URL. */
export type QrRenderer = (qr: string) => Promise<string>;

/** Renders with `qrcode` (loaded on first use), shrinking the modules until the URL fits in QR_DATA_URL_MAX. */
export const renderQrDataUrl: QrRenderer = async (qr) => {
  const QRCode = (await import('qrcode')).default;
  for (const scale of [4, 3, 2, 1]) {
    const url = await QRCode.toDataURL(qr, { errorCorrectionLevel: 'L', margin: 1, scale });
    if (url.length <= QR_DATA_URL_MAX) return url;
  }
  throw new Error(`QR code too large for a ${QR_DATA_URL_MAX}-character data URL`);
};

/** A web login request: a fresh one (the login watcher starts the transport) or a forced relink (the live transport restarts). */
export type LoginRequest = 'login' | 'relink';

/** See the file comment. */
export class LoginState {
  private qr: { text: string; dataUrl: string } | undefined;
  private code: string | undefined;
  private phone: string | undefined;
  private inProgress = false;
  private startedAt = 0;
  private failure: string | undefined;
  private linkedNow = false;
  /** Bumped by every QR, so a slow render of an older QR never overwrites a newer one. */
  private qrSeq = 0;
  private readonly changed = new Set<() => void>();
  private readonly requested = new Set<(kind: LoginRequest) => void>();

  constructor(private readonly deps: { clock: ChannelClock; auth: LoginAuth; renderQr?: QrRenderer }) {}

  /** A login was asked for and has not ended (linked, failed or timed out). */
  get pending(): boolean {
    return this.inProgress;
  }

  /** The digits of the phone number to link by pairing code, when one was given. */
  get phoneNumber(): string | undefined {
    return this.phone;
  }

  /** The pairing code, once requested. */
  get pairingCode(): string | undefined {
    return this.code;
  }

  /** The current QR. */
  get currentQr(): { text: string; dataUrl: string } | undefined {
    return this.qr;
  }

  /** Whether the account is linked (a login completed, or linked creds exist). */
  get linked(): boolean {
    return this.linkedNow || this.deps.auth.isLinked();
  }

  /** How long the current login may still run (LOGIN_TIMEOUT_MS from its start), for the login socket's timer. */
  remainingMs(): number {
    if (!this.inProgress) return LOGIN_TIMEOUT_MS;
    return Math.max(0, this.startedAt + LOGIN_TIMEOUT_MS - this.deps.clock.now());
  }

  /** Listens for login requests (the login watcher, the live transport); returns the unsubscribe. */
  onRequest(listener: (kind: LoginRequest) => void): () => void {
    this.requested.add(listener);
    return () => this.requested.delete(listener);
  }

  /**
   * `web.login.start`: a linked account (without `force`) answers connected; otherwise a login begins (or the
   * running one continues) and the answer comes once its first QR or pairing code exists, or at `timeoutMs`.
   */
  async start(opts: { force?: boolean; timeoutMs?: number; phoneNumber?: string } = {}): Promise<WebLoginResult> {
    if (!opts.force && this.linked) return { connected: true, message: 'already linked' };
    const digits = opts.phoneNumber?.replace(/\D/g, '');
    if (opts.phoneNumber !== undefined && !digits) throw new RangeError(`phoneNumber has no digits: ${JSON.stringify(opts.phoneNumber)}`);
    let kind: LoginRequest = 'login';
    if (opts.force) {
      await this.deps.auth.wipe(); // #4686: a forced relink starts from empty creds
      this.linkedNow = false;
      kind = 'relink';
    }
    if (opts.force || !this.inProgress) {
      this.qr = undefined;
      this.code = undefined;
      this.failure = undefined;
      this.phone = digits;
      this.inProgress = true;
      this.startedAt = this.deps.clock.now();
    } else if (digits && !this.code) this.phone = digits;
    for (const listener of [...this.requested]) listener(kind);
    return this.until(opts.timeoutMs ?? LOGIN_START_TIMEOUT_MS, () => this.qr !== undefined || this.code !== undefined || !this.inProgress);
  }

  /** `web.login.wait`: returns when linked, when a QR other than `currentQrDataUrl` exists, or at `timeoutMs`. */
  async wait(opts: { timeoutMs?: number; currentQrDataUrl?: string } = {}): Promise<WebLoginResult> {
    if (!this.inProgress && !this.linkedNow && this.failure === undefined) {
      return this.linked ? { connected: true, message: 'linked' } : { connected: false, message: WEB_LOGIN_NONE_MESSAGE };
    }
    return this.until(opts.timeoutMs ?? LOGIN_WAIT_TIMEOUT_MS,
      () => !this.inProgress || (this.qr !== undefined && this.qr.dataUrl !== opts.currentQrDataUrl));
  }

  /** A QR arrived on the login socket (each one rotates the previous). */
  async setQr(text: string): Promise<void> {
    const seq = ++this.qrSeq;
    const dataUrl = await (this.deps.renderQr ?? renderQrDataUrl)(text);
    if (seq !== this.qrSeq) return;
    this.qr = { text, dataUrl };
    this.notify();
  }

  /** The pairing code WhatsApp gave for `phoneNumber`. */
  setPairingCode(code: string): void {
    this.code = code;
    this.notify();
  }

  /** The account linked (the socket opened). */
  markLinked(): void {
    this.linkedNow = true;
    this.inProgress = false;
    this.failure = undefined;
    this.qr = undefined;
    this.qrSeq++;
    this.notify();
  }

  /** The login ended without a link (timed out, logged out, refused). */
  fail(error: string): void {
    if (this.inProgress) this.failure = error;
    this.inProgress = false;
    this.linkedNow = false;
    this.qr = undefined;
    this.qrSeq++;
    this.notify();
  }

  /** The account was logged out or wiped: no longer linked. */
  unlink(): void {
    this.linkedNow = false;
  }

  /** What a start or wait answers now. */
  private result(): WebLoginResult {
    if (this.linkedNow) return { connected: true, message: 'linked' };
    if (!this.inProgress) {
      return { connected: false, message: this.failure !== undefined ? `${WEB_LOGIN_FAILED_PREFIX}${this.failure}` : WEB_LOGIN_NONE_MESSAGE };
    }
    const qr = this.qr ? { qrDataUrl: this.qr.dataUrl, qr: this.qr.text } : {};
    if (this.code !== undefined) {
      return { connected: false, message: 'Enter this code in WhatsApp: Linked devices → Link with phone number', pairingCode: this.code, ...qr };
    }
    if (this.qr) return { connected: false, message: 'Scan this QR code in WhatsApp: Linked devices → Link a device', ...qr };
    return { connected: false, message: WAITING_MESSAGE };
  }

  /** Resolves with `result()` once `done()` holds, or at `timeoutMs` (clock). */
  private until(timeoutMs: number, done: () => boolean): Promise<WebLoginResult> {
    if (done()) return Promise.resolve(this.result());
    const { clock } = this.deps;
    return new Promise((resolve) => {
      const finish = () => {
        clock.clearTimeout(timer);
        this.changed.delete(check);
        resolve(this.result());
      };
      const check = () => {
        if (done()) finish();
      };
      const timer = clock.setTimeout(finish, timeoutMs);
      this.changed.add(check);
    });
  }

  private notify(): void {
    for (const check of [...this.changed]) check();
  }
}

/** The machine's `prepare` for WhatsApp: no linked creds → `needsLogin` (the account waits for a web login). */
export function whatsappPrepare(auth: Pick<LoginAuth, 'isLinked'>): () => Promise<{ needsLogin?: boolean; error?: string }> {
  return async () => (auth.isLinked() ? {} : { needsLogin: true, error: NOT_LINKED_ERROR });
}

/** The machine's `loginWatch` for WhatsApp: `credentials.ready` when a web login is (or gets) under way. */
export function whatsappLoginWatch(login: LoginState): CallbackActorLogic<TransportEvent, ChannelAccountRef> {
  return fromCallback<TransportEvent, ChannelAccountRef>(({ sendBack }) => {
    if (login.pending) {
      sendBack({ type: 'credentials.ready' });
      return undefined;
    }
    return login.onRequest(() => sendBack({ type: 'credentials.ready' }));
  });
}
