// Device identity (openclaw-protocol.md §8): the Ed25519 signer the client uses, the v3 payload it signs, and
// where it keeps the device tokens the gateway issues (§10.5). No Node built-in and no Buffer: this runs in
// the browser as it is.

/** An Ed25519 device identity: its id, raw public key (base64url) and a signer. The private key never leaves it. */
export interface DeviceIdentity {
  /** Lowercase hex SHA-256 of the raw 32-byte public key. */
  readonly deviceId: string;
  /** The raw 32-byte public key, base64url without padding. */
  readonly publicKey: string;
  /** Signs the UTF-8 bytes of `payload`; the signature as base64url without padding. */
  sign(payload: string): Promise<string>;
}

/** A device token the gateway issued, kept with the scopes it was issued for. */
export interface StoredDeviceToken {
  token: string;
  scopes: string[];
}

/** Where device tokens live, keyed by (deviceId, role): memory, `sessionStorage`, `localStorage`, a file… */
export interface DeviceTokenStore {
  get(deviceId: string, role: string): StoredDeviceToken | undefined | Promise<StoredDeviceToken | undefined>;
  set(deviceId: string, role: string, value: StoredDeviceToken): void | Promise<void>;
  delete(deviceId: string, role: string): void | Promise<void>;
}

/** A DeviceTokenStore in memory (lost with the process or the page). */
export function memoryTokenStore(): DeviceTokenStore {
  const tokens = new Map<string, StoredDeviceToken>();
  const key = (deviceId: string, role: string) => `${deviceId}\u0000${role}`;
  return {
    get: (deviceId, role) => tokens.get(key(deviceId, role)),
    set: (deviceId, role, value) => void tokens.set(key(deviceId, role), { token: value.token, scopes: [...value.scopes] }),
    delete: (deviceId, role) => void tokens.delete(key(deviceId, role)),
  };
}

/** The fields the v3 device-auth payload covers. */
export interface DeviceAuthFields {
  deviceId: string;
  clientId: string;
  clientMode: string;
  role: string;
  scopes: readonly string[];
  /** The challenge `ts` (epoch ms). */
  signedAtMs: number;
  /** `auth.token ?? auth.deviceToken ?? auth.bootstrapToken ?? ""`. */
  token: string;
  nonce: string;
  platform?: string;
  deviceFamily?: string;
}

/** The v3 payload (§8.2): `v3|deviceId|client.id|client.mode|role|scopes|signedAtMs|token|nonce|platform|deviceFamily`. */
export function deviceAuthPayloadV3(f: DeviceAuthFields): string {
  return [
    'v3', f.deviceId, f.clientId, f.clientMode, f.role, f.scopes.join(','), String(f.signedAtMs), f.token, f.nonce,
    normalize(f.platform), normalize(f.deviceFamily),
  ].join('|');
}

/** Trimmed and ASCII-lowercased (only A–Z are folded, as the gateway does), `""` when absent. */
function normalize(value: string | undefined): string {
  return (value ?? '').trim().replace(/[A-Z]/g, (c) => c.toLowerCase());
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Bytes → base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const left = bytes.length - i;
    out += B64URL[(n >> 18) & 63] + B64URL[(n >> 12) & 63];
    if (left > 1) out += B64URL[(n >> 6) & 63];
    if (left > 2) out += B64URL[n & 63];
  }
  return out;
}

/** Bytes → lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** A string → its UTF-8 bytes. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
