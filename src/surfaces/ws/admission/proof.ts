import type { ErrorShape } from '../../../policy/authorize.js';
import { canonicalPublicKey, checkDeviceProof, deviceIdOf, type DeviceClaim } from '../../../policy/device-proof.js';
import type { ConnectAttempt } from './attempt.js';

/** A device proven to hold its key: its id and canonical public key. */
export interface ProvenDevice {
  deviceId: string;
  publicKey: string;
}

/** Step 7: the device's signature over this connect (nonce, client, role, scopes, token, metadata). */
export function proveDevice(device: DeviceClaim, a: ConnectAttempt, now: number): ProvenDevice | { error: ErrorShape } {
  const { p, role } = a;
  const proof = checkDeviceProof(device, {
    nonce: a.input.nonce, clientId: p.client.id, clientMode: p.client.mode, role, scopes: p.scopes ?? [],
    token: p.auth?.token ?? p.auth?.deviceToken ?? p.auth?.bootstrapToken ?? '',
    platform: p.client.platform, deviceFamily: p.client.deviceFamily, now,
  });
  if ('error' in proof) return proof;
  return { publicKey: canonicalPublicKey(proof.raw), deviceId: deviceIdOf(proof.raw) };
}
