import type { GroupMetadata } from '@whiskeysockets/baileys';
import { EventEmitter } from 'node:events';

// A fake Baileys socket and `makeSocket` factory (spec channels.md §6.1 "Fake WhatsApp"): the factory returns a
// socket whose `ev` is a plain EventEmitter; tests emit `connection.update`, `creds.update` and `messages.upsert`
// on it and read what the code under test called (sends, presence, receipts, pairing codes, logout, end).
// Real Baileys is never imported here. The shapes follow WASocketLike (src/surfaces/channels/whatsapp/socket.ts).

/** A Boom-shaped error as Baileys puts it in `lastDisconnect.error` (`output.statusCode`). */
export function boom(statusCode: number, message = `Stream Errored (${statusCode})`): Error {
  return Object.assign(new Error(message), { isBoom: true, output: { statusCode, payload: { statusCode, message } } });
}

/** One recorded call of the fake socket. */
export interface FakeWhatsAppCall {
  method: 'sendMessage' | 'sendPresenceUpdate' | 'readMessages' | 'groupMetadata' | 'requestPairingCode' | 'logout' | 'end';
  args: unknown[];
}

/** The options a factory call received (what makeSocket passes: accountId, auth, log, getMessage…). */
export interface FakeSocketOptions {
  accountId?: string;
  auth?: unknown;
  log?: unknown;
  getMessage?: unknown;
}

/** A fake WASocketLike. */
export class FakeWhatsAppSocket {
  /** The socket's event emitter (Baileys' `sock.ev`). */
  readonly ev = new EventEmitter();
  readonly calls: FakeWhatsAppCall[] = [];
  user: { id: string; lid?: string } | undefined = { id: '15559990000:2@s.whatsapp.net', lid: '99999999@lid' };
  /** Baileys' `authState`: the creds object of `options.auth` (mutated by creds.update, as Baileys does). */
  readonly authState: { creds: { registered: boolean; [k: string]: unknown } };
  /** LID user → PN JID answers of `signalRepository.lidMapping.getPNForLID`. */
  readonly lidToPn = new Map<string, string>();
  readonly signalRepository = {
    lidMapping: { getPNForLID: async (lid: string): Promise<string | null> => this.lidToPn.get(lid) ?? null },
  };
  /** Group JID → metadata answered by `groupMetadata`. */
  readonly groups = new Map<string, { id: string; subject: string; participants?: unknown[] }>();
  /** The code `requestPairingCode` answers. */
  pairingCode = 'ABCD1234';
  /** When set, the next call of this method throws it (once). */
  readonly failNext = new Map<FakeWhatsAppCall['method'], Error>();
  /** `end()` was called. */
  ended = false;
  private sent = 0;

  constructor(readonly options: FakeSocketOptions, registered = false) {
    const given = (options.auth as { creds?: { registered?: boolean; [k: string]: unknown } } | undefined)?.creds;
    const creds = given ?? {};
    if (registered) creds.registered = true;
    creds.registered ??= false;
    this.authState = { creds: creds as { registered: boolean; [k: string]: unknown } };
    // Baileys' emitter never throws on an unhandled 'error'; neither does the fake
    this.ev.on('error', () => undefined);
  }

  private record(method: FakeWhatsAppCall['method'], args: unknown[]): void {
    this.calls.push({ method, args });
    const err = this.failNext.get(method);
    if (err) {
      this.failNext.delete(method);
      throw err;
    }
  }

  /** Calls of one method, in order. */
  callsOf(method: FakeWhatsAppCall['method']): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  /** Emits `connection.update`. */
  update(update: Record<string, unknown>): void {
    this.ev.emit('connection.update', update);
  }

  /** Emits `connection.update {qr}`. */
  qr(ref: string): void {
    this.update({ qr: ref });
  }

  /** Emits `connection.update {connection:'open'}`. */
  open(): void {
    this.update({ connection: 'open' });
  }

  /** Emits `connection.update {connection:'close', lastDisconnect:{error: Boom(statusCode)}}`. */
  close(statusCode: number, message?: string): void {
    this.update({ connection: 'close', lastDisconnect: { error: boom(statusCode, message), date: new Date(0) } });
  }

  /** Emits `creds.update`. */
  credsUpdate(update: Record<string, unknown> = {}): void {
    Object.assign(this.authState.creds, update);
    this.ev.emit('creds.update', update);
  }

  /** Emits `messages.upsert`. */
  upsert(messages: unknown[], type: 'notify' | 'append' = 'notify'): void {
    this.ev.emit('messages.upsert', { messages, type });
  }

  /** Listeners left on `ev` (0 after the code under test cleaned up), `error` excluded. */
  listenerCount(): number {
    return this.ev.eventNames().filter((n) => n !== 'error').reduce((sum, n) => sum + this.ev.listenerCount(n), 0);
  }

  async sendMessage(jid: string, content: unknown, options?: { messageId?: string }): Promise<{ key: { id: string; remoteJid: string; fromMe: true } }> {
    this.record('sendMessage', [jid, content, options]);
    return { key: { id: options?.messageId ?? `FAKE${++this.sent}`, remoteJid: jid, fromMe: true } };
  }

  async sendPresenceUpdate(type: string, jid?: string): Promise<void> {
    this.record('sendPresenceUpdate', [type, jid]);
  }

  async readMessages(keys: unknown[]): Promise<void> {
    this.record('readMessages', [keys]);
  }

  async groupMetadata(jid: string): Promise<GroupMetadata> {
    this.record('groupMetadata', [jid]);
    const meta = this.groups.get(jid);
    if (!meta) throw boom(404, 'item-not-found');
    return { participants: [], ...meta } as unknown as GroupMetadata; // the fields Clawgate reads
  }

  async requestPairingCode(phoneNumber: string): Promise<string> {
    this.record('requestPairingCode', [phoneNumber]);
    return this.pairingCode;
  }

  async logout(): Promise<void> {
    this.record('logout', []);
    this.close(401, 'Intentional Logout');
  }

  async end(error?: Error): Promise<void> {
    this.calls.push({ method: 'end', args: [error] });
    this.ended = true;
  }
}

/** A fake `makeSocket` factory: every call makes a new socket, recorded in `sockets`. */
export class FakeWhatsApp {
  readonly sockets: FakeWhatsAppSocket[] = [];
  /** Resolvers waiting for the n-th socket. */
  private readonly waiters: { n: number; resolve: (s: FakeWhatsAppSocket) => void }[] = [];
  /** When set, the next factory call rejects with it (once). */
  failNext?: Error;
  /** Whether new sockets report `authState.creds.registered`. */
  registered = false;

  /** The factory (pass as `makeSocket`). */
  readonly makeSocket = async (options: FakeSocketOptions): Promise<FakeWhatsAppSocket> => {
    const err = this.failNext;
    this.failNext = undefined;
    if (err) throw err;
    const sock = new FakeWhatsAppSocket(options, this.registered);
    this.sockets.push(sock);
    for (const w of this.waiters.filter((w) => w.n <= this.sockets.length)) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(this.sockets[w.n - 1]!);
    }
    return sock;
  };

  /** How many sockets the factory made. */
  get calls(): number {
    return this.sockets.length;
  }

  /** The latest socket. */
  get last(): FakeWhatsAppSocket | undefined {
    return this.sockets.at(-1);
  }

  /** Resolves with the n-th socket (1-based) once the factory made it. */
  socket(n: number): Promise<FakeWhatsAppSocket> {
    const made = this.sockets[n - 1];
    if (made) return Promise.resolve(made);
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}
