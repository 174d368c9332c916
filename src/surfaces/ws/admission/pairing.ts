import type { AdmitResult } from '../../../machines/connection.js';
import { scopeSatisfied } from '../../../policy/authorize.js';
import type { PairedDevice, PairingRequest } from '../../../store/devices.js';
import type { ConnectAttempt } from './attempt.js';
import { NATIVE_APP_CLIENTS, WEB_CLIENTS } from './clients.js';
import type { AdmissionDeps } from './deps.js';
import type { ProvenDevice } from './proof.js';
import { refuse } from './refusals.js';

// Step 9 of admission: the same key, the role, the scopes and the pinned platform/deviceFamily must be
// approved. Over a device token the grant already bounds the role and scopes (AUTH_SCOPE_MISMATCH, no
// request); the pinned metadata is checked all the same.

type PairingReason = PairingRequest['reason'];

const PAIRING_TEXT: Record<PairingReason, string> = {
  'not-paired': 'device is not approved yet',
  'role-upgrade': 'role upgrade pending approval',
  'scope-upgrade': 'scope upgrade pending approval',
  'metadata-upgrade': 'device metadata change pending approval',
};

const norm = (s: string | undefined) => (s ?? '').trim().toLowerCase();

/**
 * Step 9: approves silently what may be approved silently; otherwise files (or finds) a pairing request and
 * returns the PAIRING_REQUIRED refusal. Undefined when the device may go on.
 */
export function checkPairing(deps: AdmissionDeps, now: () => number, a: ConnectAttempt, device: ProvenDevice, method: string, viaToken: boolean): AdmitResult | undefined {
  const paired = deps.devices.get(device.deviceId);
  const reason = pairingReason(a, device, paired, viaToken);
  if (!reason) return undefined;
  const { p, peer, role } = a;
  const ask = {
    deviceId: device.deviceId, publicKey: device.publicKey, role, scopes: a.requested, reason,
    client: {
      displayName: p.client.displayName, platform: norm(p.client.platform) || undefined, deviceFamily: norm(p.client.deviceFamily) || undefined,
      clientId: p.client.id, clientMode: p.client.mode, browserOrigin: peer.origin,
    },
    remoteIp: peer.remoteAddress, isRepair: paired !== undefined,
  };
  if (isSilent(a, reason, method, deps.autoApproveLocal)) {
    deps.devices.approve(ask, 'silent');
    const req: PairingRequest = { ...ask, requestId: `silent-${device.deviceId.slice(0, 16)}-${now()}`, ts: now() };
    deps.onPairingRequested(req, true);
    deps.onPairingResolved(req, 'approved');
    return undefined;
  }
  const { request, created } = deps.devices.requestPairing(ask);
  if (created) deps.onPairingRequested(request, false);
  return pairingRequired(a, reason, request, paired);
}

function pairingReason(a: ConnectAttempt, device: ProvenDevice, paired: PairedDevice | undefined, viaToken: boolean): PairingReason | undefined {
  const { p, role } = a;
  const metadataChanged = (d: PairedDevice) =>
    norm(d.platform) !== norm(p.client.platform) || norm(d.deviceFamily) !== norm(p.client.deviceFamily);
  return !paired || paired.publicKey !== device.publicKey ? 'not-paired'
    : viaToken ? (metadataChanged(paired) ? 'metadata-upgrade' : undefined)
      : !paired.roles.includes(role) ? 'role-upgrade'
        : a.requested.some((s) => !scopeSatisfied(paired.scopes, s)) ? 'scope-upgrade'
          : metadataChanged(paired) ? 'metadata-upgrade'
            : undefined;
}

function isSilent(a: ConnectAttempt, reason: PairingReason, method: string, autoApproveLocal: boolean): boolean {
  const { p, peer } = a;
  const browserOk = !peer.origin || WEB_CLIENTS.has(p.client.id);
  // §10.2: a metadata refresh is silent only for a first-party native app UI on direct_local (whatever
  // autoApproveLocal says); the other reasons follow autoApproveLocal, a scope upgrade only with a secret
  return peer.local && browserOk && (reason === 'metadata-upgrade'
    ? !peer.origin && p.client.mode === 'ui' && NATIVE_APP_CLIENTS.has(p.client.id)
    : autoApproveLocal && (reason !== 'scope-upgrade' || ['none', 'token', 'password'].includes(method)));
}

// `reason` is this connect's, not the request's: a pending request for the same role and scopes is reused
function pairingRequired(a: ConnectAttempt, reason: PairingReason, request: PairingRequest, paired: PairedDevice | undefined): AdmitResult {
  const message = `pairing required: ${PAIRING_TEXT[reason]}`;
  return refuse({
    code: 'NOT_PAIRED', message,
    details: {
      code: 'PAIRING_REQUIRED', reason, requestId: request.requestId,
      remediationHint: `approve this device on the gateway host: clawgate devices approve ${request.requestId}`,
      deviceId: request.deviceId, requestedRole: a.role, requestedScopes: a.requested,
      ...(paired ? { approvedRoles: paired.roles, approvedScopes: paired.scopes } : {}),
      retryable: false, pauseReconnect: true, // no recommendedNextStep: 'wait_then_retry' would make clients retry instead of pausing
    },
  }, 1008, `${message} (requestId: ${request.requestId})`);
}
