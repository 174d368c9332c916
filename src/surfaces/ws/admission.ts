import type { AdmitInput, AdmitResult } from '../../machines/connection.js';
import type { ErrorShape } from '../../policy/authorize.js';
import { admitted } from './admission/admitted.js';
import { readAttempt } from './admission/attempt.js';
import type { AdmissionDeps } from './admission/deps.js';
import { deviceLessScopes, deviceRequired } from './admission/device-less.js';
import { checkDeviceToken } from './admission/device-token.js';
import { checkPairing } from './admission/pairing.js';
import { checkPreconditions } from './admission/preconditions.js';
import { proveDevice } from './admission/proof.js';
import { rateKeyOf, refuseAuthFailure } from './admission/rate-limit.js';
import { rateLimited, refuse } from './admission/refusals.js';
import { checkSharedSecret, secretDigest } from './admission/shared-secret.js';

// Admission of a `connect` (openclaw-protocol.md §3.3), in the spec's order; the first failing check
// decides: drain gate, protocol, role, Control UI origin, rate limit, shared secret, device presence,
// device proof, device token, pairing, token issuance, scopes. Each step is in src/surfaces/ws/admission/.

export type { AdmissionDeps, HelloAuth } from './admission/deps.js';
export type { RateKey, RateLimit } from './admission/rate-limit.js';
export { rateLimited } from './admission/refusals.js';

/** The admission step of the connection machine: decides one `connect`, in the order of the spec. The answer
 *  is synchronous unless an auth failure is held by the rate limiter (then a promise). */
export function createAdmission(deps: AdmissionDeps): (input: AdmitInput) => AdmitResult | Promise<AdmitResult> {
  const secret = deps.token === undefined ? undefined : secretDigest(deps.token);
  const now = deps.now ?? Date.now;

  return (input) => {
    const a = readAttempt(input);
    // 1-4. drain gate, protocol, role, Control UI origin
    const early = checkPreconditions(deps.isDraining, a);
    if (early) return early;
    // rate limit on auth failures: direct-local sockets without Origin are exempt
    const rateKey = rateKeyOf(a);
    const gate = deps.rateLimit?.check(rateKey);
    if (gate && !gate.allowed) return refuse(rateLimited(gate.retryAfterMs));
    const authFailure = (error: ErrorShape) => refuseAuthFailure(deps.rateLimit, rateKey, error);
    // 5. shared secret
    const shared = checkSharedSecret(secret, a);
    if (shared.refusal) return shared.refusal;
    if (shared.failure) return authFailure(shared.failure);
    // 6. device identity present, or allowed to be absent
    const { device } = a.p;
    if (!device) {
      const refusal = deviceRequired(a);
      if (refusal) return refusal;
      deps.rateLimit?.recordSuccess(rateKey);
      return admitted(deps.hello, a, { method: shared.method, role: a.role, scopes: deviceLessScopes(a) });
    }
    // 7. device proof
    const proven = proveDevice(device, a, now());
    if ('error' in proven) return refuse(proven.error);
    // 8. device token
    const viaToken = checkDeviceToken(deps.devices, a, proven, shared.sharedOk);
    if (viaToken?.failure) return authFailure(viaToken.failure);
    deps.rateLimit?.recordSuccess(rateKey);
    // 9. pairing
    const pairing = checkPairing(deps, now, a, proven, shared.method, viaToken !== undefined);
    if (pairing) return pairing;
    if (viaToken) {
      deps.devices.seen(proven.deviceId, 'connect');
      return admitted(deps.hello, a, viaToken.auth, proven.deviceId);
    }
    // 10. device token, issued once per device and role, the same on every reconnect
    const approved = deps.devices.get(proven.deviceId)!;
    const issued = deps.devices.ensureToken(proven.deviceId, a.role, a.role === 'operator' ? approved.scopes : []);
    deps.devices.seen(proven.deviceId, 'connect');
    return admitted(deps.hello, a, { method: shared.method, role: a.role, scopes: a.requested, deviceToken: issued.token, issuedAtMs: issued.issuedAtMs }, proven.deviceId);
  };
}
