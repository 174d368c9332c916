import type { ConnectParams } from '../../protocol/connect.js';
import { deviceAuthPayloadV3, type DeviceIdentity, type DeviceTokenStore } from './device-auth.js';

// The `connect` request (openclaw-protocol.md §4, §8.2): client info, role, scopes, credentials, and with a
// device identity the v3 signature over the challenge's nonce with `signedAt` = the challenge `ts`.

/** Who the client says it is (`ConnectParams.client`); `id` and `mode` default to `gateway-client`/`backend`. */
export type ClientInfo = Partial<ConnectParams['client']>;

/** What the `connect` request is built from. */
export interface ConnectInputs {
  client?: ClientInfo;
  role?: string;
  scopes?: string[];
  caps?: string[];
  token?: string;
  password?: string;
  identity?: DeviceIdentity;
  tokenStore?: DeviceTokenStore;
  locale?: string;
  userAgent?: string;
}

/** The built request, and whether it carries a stored device token (which a mismatch then drops). */
export interface BuiltConnect {
  params: ConnectParams;
  usedDeviceToken: boolean;
}

/** The `connect` params for the challenge `{nonce, ts}`. */
export async function buildConnectParams(inputs: ConnectInputs, challenge: { nonce: string; ts: number }): Promise<BuiltConnect> {
  const role = inputs.role ?? 'operator';
  const client: ConnectParams['client'] = {
    id: 'gateway-client', mode: 'backend', version: '0.0.0', platform: 'unknown', ...inputs.client,
  };
  const { identity, tokenStore } = inputs;
  const stored = identity && tokenStore ? await tokenStore.get(identity.deviceId, role) : undefined;
  const scopes = inputs.scopes ?? stored?.scopes ?? ['operator.admin'];
  const auth: NonNullable<ConnectParams['auth']> = {};
  if (inputs.token !== undefined) auth.token = inputs.token;
  else if (inputs.password !== undefined) auth.password = inputs.password;
  else if (stored) auth.deviceToken = stored.token;
  const params: ConnectParams = {
    minProtocol: 4, maxProtocol: 4, client, role, scopes,
    ...(inputs.caps ? { caps: inputs.caps } : {}),
    ...(Object.keys(auth).length > 0 ? { auth } : {}),
    ...(inputs.locale !== undefined ? { locale: inputs.locale } : {}),
    ...(inputs.userAgent !== undefined ? { userAgent: inputs.userAgent } : {}),
  };
  if (identity) {
    const payload = deviceAuthPayloadV3({
      deviceId: identity.deviceId, clientId: client.id, clientMode: client.mode, role, scopes,
      signedAtMs: challenge.ts, token: auth.token ?? auth.deviceToken ?? '', nonce: challenge.nonce,
      platform: client.platform, deviceFamily: client.deviceFamily,
    });
    params.device = {
      id: identity.deviceId, publicKey: identity.publicKey, signature: await identity.sign(payload),
      signedAt: challenge.ts, nonce: challenge.nonce,
    };
  }
  return { params, usedDeviceToken: auth.deviceToken !== undefined };
}
