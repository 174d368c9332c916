import { scopeSatisfied, type ErrorShape } from '../../../policy/authorize.js';
import type { DeviceStore } from '../../../store/devices.js';
import type { ConnectAttempt } from './attempt.js';
import type { HelloAuth } from './deps.js';
import type { ProvenDevice } from './proof.js';
import { hint, tokenError } from './refusals.js';

/**
 * Step 8: a device token, accepted in `auth.deviceToken`, or in `auth.token` when that is not the shared
 * secret. The auth it grants, the auth failure, or undefined when the connect relies on the shared secret.
 */
export function checkDeviceToken(devices: DeviceStore, a: ConnectAttempt, device: ProvenDevice, sharedOk: boolean):
  { auth: HelloAuth; failure?: undefined } | { failure: ErrorShape } | undefined {
  const { deviceToken, role, requested } = a;
  const candidate = deviceToken ?? (sharedOk ? undefined : a.supplied);
  if (candidate === undefined || sharedOk) return undefined;
  const grant = devices.verifyToken(device.deviceId, role, candidate);
  const paired = devices.get(device.deviceId);
  if (!grant || !paired || paired.publicKey !== device.publicKey) {
    // §6.3: a device that sent no device token may retry with one, wherever it connects from (whether its
    // endpoint is trusted enough to do so is the client's call)
    if (deviceToken === undefined) return { failure: tokenError('mismatch', hint(a.p.client.id, a.peer.local), true) };
    return {
      failure: {
        code: 'INVALID_REQUEST', message: 'unauthorized: device token mismatch (rotate/reissue device token)',
        details: { code: 'AUTH_DEVICE_TOKEN_MISMATCH', authReason: 'device_token_mismatch', canRetryWithDeviceToken: false, recommendedNextStep: 'update_auth_credentials' },
      },
    };
  }
  const wider = requested.find((s) => !grant.scopes.some((g) => g === s || scopeSatisfied([g], s)));
  if (wider) {
    return {
      failure: {
        code: 'INVALID_REQUEST', message: 'unauthorized: device token scope mismatch (re-pair or approve scope upgrade)',
        details: { code: 'AUTH_SCOPE_MISMATCH', authReason: 'scope_mismatch', canRetryWithDeviceToken: false, recommendedNextStep: 'review_auth_configuration', approvedScopes: grant.scopes },
      },
    };
  }
  return { auth: { method: 'device-token', role, scopes: requested, deviceToken: candidate, issuedAtMs: grant.rotatedAtMs ?? grant.createdAtMs } };
}
