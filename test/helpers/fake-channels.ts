import {
  ChannelRequestError, CHANNELS, type ChannelAccountSnapshot, type ChannelName, type ChannelsControl, type PairingRequestView, type WebLoginResult,
} from '../../src/core/channel.js';

// An in-test channel layer behind `GatewayOptions.channels` (the WS methods and the CLI talk to it as they would
// to the channel manager): Telegram and WhatsApp each have account `default`, Signal is unconfigured. Every
// call is recorded; refusals are the manager's `ChannelRequestError`s with the spec's messages (channels.md §5.1).

/** A full account snapshot with quiet defaults. */
export function snapshot(over: Partial<ChannelAccountSnapshot> & { accountId: string }): ChannelAccountSnapshot {
  return {
    enabled: true, configured: true, running: true, connected: true, state: 'online', reconnectAttempts: 0,
    lastError: null, lastStartAt: 1_000, lastStopAt: null, lastConnectedAt: 1_000, lastInboundAt: null, lastOutboundAt: null,
    lastTransportActivityAt: null, activeRuns: 0, busy: false, dmPolicy: 'pairing', allowFrom: [],
    outbox: { pending: 0, sending: 0, unknown: 0, failed: 0, expired: 0 },
    ...over,
  };
}

/** A pending pairing request of telegram/default. */
export function pairingRequest(code: string, senderId: string, createdAt: number): PairingRequestView {
  return {
    requestId: code, channel: 'telegram', accountId: 'default', senderId, senderLabel: `user ${senderId}`,
    createdAt, lastSeenAt: createdAt, expiresAt: createdAt + 3_600_000,
  };
}

/** The fake: `accounts` and `requests` may be changed by a test; `calls` records every call in order. */
export class FakeChannels implements ChannelsControl {
  readonly calls: { method: string; args: unknown[] }[] = [];
  accounts: Record<ChannelName, ChannelAccountSnapshot[]> = {
    telegram: [snapshot({ accountId: 'default', mode: 'polling', tokenSource: 'config', baseUrl: 'http://127.0.0.1:1', lastInboundAt: 5_000 })],
    whatsapp: [snapshot({ accountId: 'default', state: 'backoff', connected: false, reconnectAttempts: 2, lastError: 'connection closed (428)', mode: 'web', linked: true })],
    signal: [],
  };
  requests: PairingRequestView[] = [];
  /** Codes whose requests have expired. */
  expired = new Set<string>();
  owners = new Set<string>();
  /** Makes the next call throw this (not a ChannelRequestError: an internal failure). */
  failNext?: Error;

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const err = this.failNext;
    this.failNext = undefined;
    if (err) throw err;
  }

  private account(channel: string, accountId = 'default'): { channel: ChannelName; accountId: string } {
    if (!(CHANNELS as readonly string[]).includes(channel)) throw new ChannelRequestError(`unknown channel: ${channel}`);
    const ch = channel as ChannelName;
    if (this.accounts[ch].length === 0) throw new ChannelRequestError(`channel ${ch} is not configured`);
    if (!this.accounts[ch].some((a) => a.accountId === accountId)) throw new ChannelRequestError(`unknown account "${accountId}" for channel ${ch}`);
    return { channel: ch, accountId };
  }

  async status(params: { channel?: string; probe?: boolean; timeoutMs?: number }) {
    this.record('status', params);
    return { ...this.accounts };
  }

  async start(channel: string, accountId?: string) {
    this.record('start', channel, accountId);
    return this.account(channel, accountId);
  }

  async stop(channel: string, accountId?: string) {
    this.record('stop', channel, accountId);
    return this.account(channel, accountId);
  }

  async logout(channel: string, accountId?: string) {
    this.record('logout', channel, accountId);
    const a = this.account(channel, accountId);
    if (a.channel !== 'whatsapp') throw new ChannelRequestError(`channel ${a.channel} does not support logout`);
    return { ...a, cleared: true };
  }

  /** What `loginStart` answers (web.login.start). */
  loginStartResult: WebLoginResult = { connected: false, message: 'Scan this QR code', qr: 'ref1', qrDataUrl: 'data:image/png;base64,UkVGMQ==' };
  /** What successive `loginWait` calls answer, in order; the last one repeats. */
  loginWaits: WebLoginResult[] = [{ connected: true, message: 'linked' }];
  /** False: the WhatsApp account has no web login (the manager's refusal). */
  webLogin = true;

  async loginStart(params: { accountId?: string; force?: boolean; timeoutMs?: number; phoneNumber?: string }) {
    this.record('loginStart', params);
    this.loginAccount(params.accountId);
    return this.loginStartResult;
  }

  async loginWait(params: { accountId?: string; timeoutMs?: number; currentQrDataUrl?: string }) {
    this.record('loginWait', params);
    this.loginAccount(params.accountId);
    return this.loginWaits.length > 1 ? this.loginWaits.shift()! : this.loginWaits[0]!;
  }

  private loginAccount(accountId?: string): void {
    this.account('whatsapp', accountId);
    if (!this.webLogin) throw new ChannelRequestError('web login is only available for whatsapp');
  }

  pairingList(params: { channel?: string; accountId?: string }) {
    this.record('pairingList', params);
    const accounts = (['telegram', 'whatsapp'] as const).filter((ch) => params.channel === undefined || params.channel === ch)
      .map((channel) => ({ channel, accountId: 'default', hasOwner: this.owners.has(channel) }));
    return { accounts, requests: this.requests.filter((r) => params.channel === undefined || r.channel === params.channel) };
  }

  private take(channel: string, code: string, accountId?: string): PairingRequestView {
    const a = this.account(channel, accountId);
    const upper = code.toUpperCase();
    if (this.expired.has(upper)) throw new ChannelRequestError(`pairing request ${upper} for ${a.channel} has expired`);
    const at = this.requests.findIndex((r) => r.channel === a.channel && r.accountId === a.accountId && r.requestId === upper);
    if (at < 0) throw new ChannelRequestError(`no pending pairing request ${upper} for ${a.channel} account ${a.accountId}`);
    return this.requests.splice(at, 1)[0];
  }

  pairingApprove(params: { channel: string; code: string; accountId?: string; notify?: boolean }) {
    this.record('pairingApprove', params);
    const r = this.take(params.channel, params.code, params.accountId);
    const first = !this.owners.has(r.channel);
    this.owners.add(r.channel);
    return {
      requestId: r.requestId, senderId: r.senderId, accountId: r.accountId,
      notification: params.notify ? 'sent' as const : 'not-requested' as const,
      commandOwnerBootstrap: first ? 'configured' as const : 'already-configured' as const,
    };
  }

  pairingReject(params: { channel: string; code: string; accountId?: string }) {
    this.record('pairingReject', params);
    const r = this.take(params.channel, params.code, params.accountId);
    return { requestId: r.requestId, senderId: r.senderId, accountId: r.accountId };
  }
}
