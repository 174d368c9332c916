import type {
  AnyMessageContent, BaileysEventMap, GroupMetadata, MiscMessageGenerationOptions, proto, WAMessage, WAMessageKey, WAPresence, WAVersion,
} from '@whiskeysockets/baileys';
import type { IncomingMessage } from 'node:http';
import { clearTimeout, setTimeout } from 'node:timers';
import type { Logger } from '../../../core/log.js';
import type { WaAuthState } from '../../../store/wa-auth.js';
import { loadBaileys } from './baileys.js';

// The WhatsApp socket seam (spec channels.md WA1): the transport asks a `MakeSocket` factory for a socket and
// uses only `WASocketLike`, so tests hand it a fake whose `ev` is an EventEmitter and never load Baileys.
// makeBaileysSocket is production's factory: Baileys is imported on its first call, never before.

/** The socket events Clawgate listens to, with Baileys' payloads. */
export interface WASocketEvents {
  'connection.update': BaileysEventMap['connection.update'];
  'creds.update': BaileysEventMap['creds.update'];
  'messages.upsert': BaileysEventMap['messages.upsert'];
}

/** What Clawgate uses of a Baileys socket (a real one fits it; tests build fakes of it). */
export interface WASocketLike {
  ev: {
    on<E extends keyof WASocketEvents>(event: E, listener: (arg: WASocketEvents[E]) => void): void;
    off<E extends keyof WASocketEvents>(event: E, listener: (arg: WASocketEvents[E]) => void): void;
  };
  /** Our own identity once connected: `id` is the PN JID with a `:device` suffix, `lid` the LID JID. */
  user?: { id: string; lid?: string };
  authState: { creds: { registered: boolean } };
  sendMessage(jid: string, content: AnyMessageContent, options?: MiscMessageGenerationOptions): Promise<WAMessage | undefined>;
  sendPresenceUpdate(type: WAPresence, jid?: string): Promise<void>;
  readMessages(keys: WAMessageKey[]): Promise<void>;
  groupMetadata(jid: string): Promise<GroupMetadata>;
  /** Digits only; answers the 8-character code to type on the phone. */
  requestPairingCode(phone: string): Promise<string>;
  logout(): Promise<void>;
  end(error?: Error): Promise<void>;
  signalRepository: { lidMapping: { getPNForLID(lid: string): Promise<string | null> } };
}

/** What a socket is made from. */
export interface SocketOptions {
  accountId: string;
  /** The account's SQLite auth state (src/store/wa-auth.ts). The caller saves creds on `creds.update`. */
  auth: WaAuthState;
  log: Logger;
  /** A message we sent, by its id (Baileys asks for it to answer a recipient's retry request). */
  getMessage(id: string): Promise<proto.IMessage | undefined>;
  /** Another WhatsApp Web endpoint (tests: a local port). */
  waWebSocketUrl?: string;
  /** Ask GitHub for the current WhatsApp Web version (default true); false uses the version bundled with Baileys. */
  fetchLatestVersion?: boolean;
}

/** Makes one socket; each (re)connect calls it again. */
export type MakeSocket = (options: SocketOptions) => Promise<WASocketLike>;

/** How long the version lookup may take before the bundled version is used. */
export const VERSION_LOOKUP_TIMEOUT_MS = 5_000;

/** What fetchLatestBaileysVersion() answers (`isLatest` false: it failed and gave the bundled version). */
export interface VersionLookupResult {
  version: WAVersion;
  isLatest: boolean;
}

/**
 * The WhatsApp Web version to announce: what `lookup` finds within `timeoutMs`, or undefined (Baileys then uses
 * the version it bundles) when it fails, says it is not the latest, or takes longer. Never throws.
 */
export async function lookupWaVersion(lookup: () => Promise<VersionLookupResult>, timeoutMs = VERSION_LOOKUP_TIMEOUT_MS): Promise<WAVersion | undefined> {
  let release = (): void => {};
  const timeout = new Promise<undefined>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs, undefined);
    release = () => clearTimeout(timer);
  });
  try {
    const found = await Promise.race([lookup().catch(() => undefined), timeout]);
    return found?.isLatest ? found.version : undefined;
  } finally {
    release();
  }
}

/** Baileys logs at `warn` (it is chatty below), or quieter when the gateway's own level is quieter (`error`, `silent`). */
function baileysLevel(log: Logger): string {
  const values = log.levels.values;
  const own = values[log.level] ?? Number.POSITIVE_INFINITY;
  return own > values.warn ? log.level : 'warn';
}

/** Production's factory: a real Baileys socket on the account's SQLite auth state (options of spec WA1). */
export const makeBaileysSocket: MakeSocket = async (options) => {
  const baileys = await loadBaileys();
  const { makeWASocket, makeCacheableSignalKeyStore, Browsers } = baileys;
  const logger = options.log.child({ channel: 'whatsapp', accountId: options.accountId, component: 'baileys' }, { level: baileysLevel(options.log) });
  const version = options.fetchLatestVersion === false ? undefined : await lookupWaVersion(() => baileys.fetchLatestBaileysVersion());
  if (options.fetchLatestVersion !== false && !version) logger.warn('whatsapp: could not look up the latest WhatsApp Web version; using the one bundled with Baileys');
  const sock = makeWASocket({
    auth: { creds: options.auth.creds, keys: makeCacheableSignalKeyStore(options.auth.keys, logger) },
    markOnlineOnConnect: false,
    // rc14 defaults to true: the phone stops notifying, and a fresh link floods the account with history.
    syncFullHistory: false,
    browser: Browsers.ubuntu('Clawgate'),
    logger,
    getMessage: async (key) => (key.id ? options.getMessage(key.id) : undefined),
    ...(version ? { version } : {}),
    ...(options.waWebSocketUrl ? { waWebSocketUrl: options.waWebSocketUrl } : {}),
  });
  // A socket error (refused, reset, TLS) must end up as a close with lastDisconnect, never an uncaught exception.
  sock.ws.on('error', (err: Error) => logger.warn({ err: err.message }, 'whatsapp: socket error'));
  // Baileys forwards `unexpected-response` (an HTTP answer other than 101 to the upgrade: a proxy's 502, a captive
  // portal's 200) to an emitter nobody listens to, which stops ws from failing the handshake: the socket would hang
  // in `connecting` for good. End it as a lost connection instead (transient; never a session verdict).
  sock.ws.on('unexpected-response', (_req: unknown, res: IncomingMessage) => {
    res.resume();
    void sock.end(unexpectedResponseError(res.statusCode ?? 0));
  });
  return sock;
};

/** Baileys' status code for a lost connection (DisconnectReason.connectionLost), transient in the WA4 table. */
export const CONNECTION_LOST = 408;

/** A Boom-shaped error (`output.statusCode`, what the transport reads) for a non-101 answer to the upgrade. */
function unexpectedResponseError(httpStatus: number): Error {
  const message = `WebSocket Error (Unexpected server response: ${httpStatus})`;
  return Object.assign(new Error(message), {
    isBoom: true,
    data: { httpStatus },
    output: { statusCode: CONNECTION_LOST, payload: { statusCode: CONNECTION_LOST, error: 'Request Time-out', message }, headers: {} },
  });
}
