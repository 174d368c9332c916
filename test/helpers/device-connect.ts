import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { TestDevice } from './device.js';
import { within } from './wait.js';
import { FrameLog, wsUrl, type Frame } from './ws-client.js';

// Hand-built `connect` frames carrying a device identity (openclaw-protocol.md §8), for the cases the
// reference client cannot produce: forged or stale signatures, wrong nonces, v2 payloads, spoofed
// forwarding headers, other source addresses. Every wait is bounded; every socket is closed by its test.

/** How connectDevice() builds the `connect`; every field defaults to the honest value. */
export interface DeviceConnectOptions {
  clientId?: string;
  mode?: string;
  role?: string;
  scopes?: string[];
  /** `caps` of the connect (default none). */
  caps?: string[];
  platform?: string;
  deviceFamily?: string;
  /** More `client` fields (version, displayName, modelIdentifier…); not part of the signed payload. */
  clientExtra?: Record<string, unknown>;
  auth?: { token?: string; deviceToken?: string; password?: string };
  /** Extra upgrade headers (X-Forwarded-For, Origin…). */
  headers?: Record<string, string>;
  /** Source address of the TCP connection (any 127.x address works on Linux loopback). */
  localAddress?: string;
  /** Signed payload version (default v3). */
  version?: 'v3' | 'v2';
  /** Override what is signed / sent; each gets the honest value and returns the one to use. */
  signedAt?: (challengeTs: number) => number;
  /** Nonce put in `device.nonce` and in the signed payload; `undefined` drops the field. */
  nonce?: (challengeNonce: string) => string | undefined;
  /** Sign with another key (forgeries); default the device's own key. */
  signWith?: (payload: string) => string;
  /** Fields of the signed payload that differ from what is sent (binding checks). */
  signedFields?: Partial<PayloadFields>;
  /** Replace the `device` object after signing (forgeries). */
  tamper?: (device: Record<string, unknown>) => Record<string, unknown>;
  /** No device at all (shared-secret or device-less clients). */
  noDevice?: boolean;
}

/** A socket that sent a device-signed `connect`, with the answer to it. */
export interface DeviceConnection {
  ws: WebSocket;
  log: FrameLog;
  challenge: Frame;
  /** The `res` to `connect`. */
  res: Frame;
  request(method: string, params?: unknown): Promise<Frame>;
  close(): Promise<void>;
}

const norm = (s: string | undefined) => (s ?? '').trim().toLowerCase();

/** The fields of the signed device-auth payload. */
export interface PayloadFields {
  deviceId: string; clientId: string; mode: string; role: string; scopes: string[]; signedAt: number; token: string; nonce: string;
  platform?: string; deviceFamily?: string;
}

/** The v3 / v2 device-auth payload of openclaw-protocol.md §8.2 (v3 lowercases and trims platform / deviceFamily). */
export function devicePayload(v: 'v3' | 'v2', f: PayloadFields): string {
  const base = [v, f.deviceId, f.clientId, f.mode, f.role, f.scopes.join(','), String(f.signedAt), f.token, f.nonce];
  return (v === 'v3' ? [...base, norm(f.platform), norm(f.deviceFamily)] : base).join('|');
}

let ids = 0;

/** Opens a socket (bounded), takes the challenge, sends a device-signed `connect`, resolves with its `res`. */
export async function connectDevice(httpUrl: string, dev: TestDevice | undefined, o: DeviceConnectOptions = {}, label = 'device'): Promise<DeviceConnection> {
  const ws = new WebSocket(wsUrl(httpUrl), {
    perMessageDeflate: false,
    ...(o.headers ? { headers: o.headers } : {}),
    ...(o.localAddress ? { localAddress: o.localAddress } : {}),
  });
  const log = new FrameLog(label);
  ws.on('message', (data) => log.push(data.toString()));
  ws.on('close', (code, reason) => log.closed(code, reason.toString()));
  ws.on('error', () => { /* surfaced as a close or a failed wait */ });
  await within(new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`${label}: upgrade refused: HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  }), `${label}: open`);
  let next = 0;
  const request = async (method: string, params: unknown = {}) => {
    const id = `${label}-${++ids}-${++next}`;
    const from = log.frames.length;
    const text = JSON.stringify({ type: 'req', id, method, params });
    log.sent(text);
    ws.send(text);
    return log.waitFor((f) => f.type === 'res' && f.id === id, `res to ${method}`, { from });
  };
  const close = async () => {
    if (ws.readyState === WebSocket.CLOSED) return;
    const done = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    ws.close(1000, 'test done');
    await within(done, `${label}: close`).catch(() => ws.terminate());
  };
  try {
    const challenge = await log.waitForEvent('connect.challenge');
    const clientId = o.clientId ?? 'gateway-client';
    const mode = o.mode ?? 'backend';
    const role = o.role ?? 'operator';
    const scopes = o.scopes ?? ['operator.admin'];
    const platform = o.platform ?? 'linux';
    const auth = o.auth ?? {};
    let device: Record<string, unknown> | undefined;
    if (dev && !o.noDevice) {
      const signedAt = o.signedAt ? o.signedAt(challenge.payload.ts) : challenge.payload.ts;
      const nonce = o.nonce ? o.nonce(challenge.payload.nonce) : challenge.payload.nonce;
      const payload = devicePayload(o.version ?? 'v3', {
        deviceId: dev.deviceId, clientId, mode, role, scopes, signedAt, nonce: nonce ?? '',
        token: auth.token ?? auth.deviceToken ?? '', platform, deviceFamily: o.deviceFamily, ...o.signedFields,
      });
      const signature = (o.signWith ?? dev.sign)(payload);
      device = { id: dev.deviceId, publicKey: dev.publicKey, signature, signedAt, ...(nonce === undefined ? {} : { nonce }) };
      if (o.tamper) device = o.tamper(device);
    }
    const res = await request('connect', {
      minProtocol: 4, maxProtocol: 4,
      client: { id: clientId, version: '1.0.0', platform, mode, ...(o.deviceFamily !== undefined ? { deviceFamily: o.deviceFamily } : {}), ...o.clientExtra },
      role, scopes, caps: o.caps ?? [],
      ...(Object.keys(auth).length > 0 ? { auth } : {}),
      ...(device ? { device } : {}),
    });
    return { ws, log, challenge, res, request, close };
  } catch (err) {
    ws.terminate();
    throw err;
  }
}

/** Asserts a refused connect: `res ok:false` with this code / details, then the server's close. */
export async function assertRefused(c: DeviceConnection, want: {
  code: string; message?: string; details?: Record<string, unknown>; close?: { code: number; reason: string };
}): Promise<Frame> {
  assert.equal(c.res.ok, false, `${c.log.label}: expected a refusal, got hello: ${JSON.stringify(c.res.payload?.auth)}`);
  assert.equal(c.res.error.code, want.code, JSON.stringify(c.res.error));
  if (want.message !== undefined) assert.equal(c.res.error.message, want.message);
  for (const [k, v] of Object.entries(want.details ?? {})) assert.deepEqual(c.res.error.details?.[k], v, `details.${k} of ${JSON.stringify(c.res.error)}`);
  const closed = await c.log.waitForClose();
  assert.deepEqual(closed, want.close ?? { code: 1008, reason: c.res.error.message });
  return c.res;
}

/** 43-char base64url: `randomBytes(32).toString("base64url")` (openclaw-protocol.md §10.5). */
export const DEVICE_TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;
