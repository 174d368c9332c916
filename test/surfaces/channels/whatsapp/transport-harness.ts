import pino from 'pino';
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import type { WhatsAppAccountConfig } from '../../../../src/core/channel.js';
import { BACKOFF, type ChannelAccountRef, channelMachine, channelStateOf } from '../../../../src/machines/channel.js';
import { LoginState, whatsappLoginWatch, whatsappPrepare } from '../../../../src/surfaces/channels/whatsapp/login.js';
import type { WASocketLike } from '../../../../src/surfaces/channels/whatsapp/socket.js';
import { whatsappTransport, type WhatsAppAuth } from '../../../../src/surfaces/channels/whatsapp/transport.js';
import type { WaAuthState } from '../../../../src/store/wa-auth.js';
import { FakeWhatsApp } from '../../../helpers/fake-whatsapp.js';
import { flush } from '../../../helpers/wait.js';

// The REAL account machine (src/machines/channel.ts) with the WhatsApp transport, prepare and login watcher
// plugged in, over the fake socket factory, an in-memory auth store and a SimulatedClock (jitter 0).

/** An in-memory auth store: creds are "linked" once saved with `me` set (as Baileys does after a scan). */
export class MemoryAuth implements WhatsAppAuth {
  creds: { registered: boolean; me?: unknown } | undefined;
  keys = new Map<string, unknown>();
  /** What was saved last (undefined after a wipe). */
  saved: { me?: unknown } | undefined;
  saves = 0;
  wipes = 0;

  constructor(linked = false) {
    if (linked) {
      this.creds = { registered: true, me: { id: '15559990000:2@s.whatsapp.net' } };
      this.saved = { ...this.creds };
      this.keys.set('pre-key:1', { k: 1 });
    }
  }

  load() {
    const creds = (this.creds ??= { registered: false });
    const state = { creds, keys: {}, saveCreds: () => { this.saves++; this.saved = { ...creds }; }, hasCreds: () => this.saved !== undefined };
    return state as unknown as WaAuthState; // Baileys' creds shape is not needed by the fake socket
  }

  wipe(): void {
    this.wipes++;
    this.creds = undefined;
    this.saved = undefined;
    this.keys.clear();
  }

  isLinked(): boolean {
    return this.saved?.me !== undefined;
  }
}

/** A WhatsApp account config with quiet defaults. */
export function waConfig(over: Partial<WhatsAppAccountConfig> = {}): WhatsAppAccountConfig {
  return {
    channel: 'whatsapp', accountId: 'default', enabled: true, dmPolicy: 'pairing', dmScope: 'per-channel-peer',
    allowFrom: [], groupPolicy: 'allowlist', groups: new Map(), requireMention: true, mentionPatterns: [],
    historyLimit: 50, textChunkLimit: 4000, mediaMaxMb: 20, selfChatMode: false, sendReadReceipts: true, ...over,
  };
}

/** Lets the socket factory, auth loads and QR renders settle. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await flush();
}

/** A started account actor; `linked` decides what prepare finds. */
export function waHarness(opts: { linked?: boolean } = {}) {
  const clock = new SimulatedClock();
  const fake = new FakeWhatsApp();
  const auth = new MemoryAuth(opts.linked);
  const login = new LoginState({ clock, auth });
  const sockets: (WASocketLike | undefined)[] = [];
  const upserts: unknown[] = [];
  const errors: string[] = [];
  let activity = 0;
  const log = pino({ level: 'silent' });
  const transport = whatsappTransport({
    config: waConfig(), makeSocket: fake.makeSocket, auth, clock, log, login,
    onSocket: (s) => sockets.push(s), onMessages: (u) => { upserts.push(u); },
    onActivity: () => { activity++; }, setLastError: (t) => errors.push(t),
  });
  const logic = channelMachine.provide({
    actors: {
      prepare: fromPromise(whatsappPrepare(auth)),
      transport,
      loginWatch: whatsappLoginWatch(login),
      shutdown: fromPromise<void, ChannelAccountRef>(async () => {}),
    },
  });
  const actor = createActor(logic, { input: { channel: 'whatsapp', accountId: 'default', backoff: BACKOFF.whatsapp, random: () => 0 }, clock });
  actor.start();
  actor.send({ type: 'START' });
  return {
    clock, fake, auth, login, sockets, upserts, errors, actor,
    get activity() { return activity; },
    state: () => channelStateOf(actor.getSnapshot()),
    context: () => actor.getSnapshot().context,
    /** The socket the adapter would use now. */
    live: () => sockets.at(-1),
    stop: async () => { actor.send({ type: 'STOP' }); await settle(); actor.stop(); },
  };
}
