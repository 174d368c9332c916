import { createHash, timingSafeEqual } from 'node:crypto';
import type { AdmitInput, AdmitResult, Admitted } from '../../machines/connection.js';
import { scopeSatisfied, type ErrorShape } from '../../policy/authorize.js';
import type { DeviceStore, PairedDevice, PairingRequest } from '../../store/devices.js';
import { canonicalPublicKey, checkDeviceProof, deviceIdOf, type DeviceClaim } from '../../policy/device-proof.js';

// Admission of a `connect` (openclaw-protocol.md §3.3), in the spec's order; the first failing check
// decides: drain gate, protocol, role, Control UI origin, rate limit, shared secret, device presence,
// device proof, device token, pairing, token issuance, scopes.

export interface RateLimit {
  check(key: RateKey): { allowed: true } | { allowed: false; retryAfterMs: number };
  /** Counts a failure; returns how long to hold the failure answer (ms, 0 = none). */
  recordFailure(key: RateKey): number;
  recordSuccess(key: RateKey): void;
}
export interface RateKey {
  source: string;
  credentialClass: string;
  origin?: string;
  exempt: boolean;
}

export interface AdmissionDeps {
  /** Shared secret; undefined = auth mode `none` (loopback binds only). */
  token?: string;
  isDraining: () => boolean;
  devices: DeviceStore;
  /** Silent pairing of direct-local devices (default on). */
  autoApproveLocal: boolean;
  rateLimit?: RateLimit;
  onPairingRequested: (req: PairingRequest, silent: boolean) => void;
  onPairingResolved: (req: PairingRequest, decision: 'approved' | 'rejected') => void;
  /** Builds the hello-ok payload once the connection is admitted. */
  hello: (input: AdmitInput, auth: HelloAuth) => Record<string, unknown>;
  now?: () => number;
}

export interface HelloAuth {
  method: string;
  role: string;
  scopes: string[];
  deviceToken?: string;
  issuedAtMs?: number;
}

interface ConnectParams {
  minProtocol: number;
  maxProtocol: number;
  client: { id: string; mode: string; platform?: string; deviceFamily?: string; displayName?: string; version?: string };
  role?: string;
  scopes?: string[];
  device?: DeviceClaim;
  auth?: { token?: string; password?: string; deviceToken?: string; bootstrapToken?: string };
}

const PROTOCOL = 4;
const CONTROL_UI_CLIENTS = new Set(['openclaw-control-ui', 'openclaw-browser-copilot', 'openclaw-tui']);
const WEB_CLIENTS = new Set(['openclaw-control-ui', 'webchat-ui', 'webchat']);
/** First-party native app UIs (with `client.mode:"ui"`), the only clients whose metadata refresh is silent. */
const NATIVE_APP_CLIENTS = new Set(['openclaw-macos', 'openclaw-linux', 'openclaw-ios', 'openclaw-android']);
const PAIRING_TEXT: Record<PairingRequest['reason'], string> = {
  'not-paired': 'device is not approved yet',
  'role-upgrade': 'role upgrade pending approval',
  'scope-upgrade': 'scope upgrade pending approval',
  'metadata-upgrade': 'device metadata change pending approval',
};

const refuse = (error: ErrorShape, code = 1008, reason = error.message): AdmitResult => ({ ok: false, error, close: { code, reason } });
const nonEmpty = (s: string | undefined) => (typeof s === 'string' && s !== '' ? s : undefined);
const sha256 = (s: string) => createHash('sha256').update(s).digest();
const norm = (s: string | undefined) => (s ?? '').trim().toLowerCase();

export function createAdmission(deps: AdmissionDeps): (input: AdmitInput) => Promise<AdmitResult> {
  const secret = deps.token === undefined ? undefined : sha256(deps.token);
  const now = deps.now ?? Date.now;

  return async (input) => {
    const p = input.params as unknown as ConnectParams;
    const { peer } = input;
    const role = p.role ?? 'operator';
    // 1. startup / drain gate
    if (deps.isDraining()) {
      return refuse({ code: 'UNAVAILABLE', message: 'gateway restart in progress', retryable: true, retryAfterMs: 1000, details: { reason: 'draining' } },
        1013, 'gateway restart in progress');
    }
    // 2. protocol range (probes, and exact node identities, may speak v3)
    const v3ok = p.client.mode === 'probe' || (role === 'node' && p.client.mode === 'node');
    if (!((p.minProtocol <= PROTOCOL && PROTOCOL <= p.maxProtocol) || (v3ok && p.maxProtocol >= 3 && p.minProtocol <= PROTOCOL))) {
      return refuse({
        code: 'INVALID_REQUEST', message: 'protocol mismatch',
        details: { code: 'PROTOCOL_MISMATCH', clientMinProtocol: p.minProtocol, clientMaxProtocol: p.maxProtocol, expectedProtocol: PROTOCOL, minimumProbeProtocol: 3 },
      }, 1002, 'protocol mismatch');
    }
    // 3. role
    if (role !== 'operator' && role !== 'node') return refuse({ code: 'INVALID_REQUEST', message: 'invalid role' });
    // 4. Origin / Control UI (the upgrade already refused origins outside the allowlist)
    if (CONTROL_UI_CLIENTS.has(p.client.id) && !peer.origin) {
      return refuse({
        code: 'INVALID_REQUEST',
        message: 'origin not allowed (open the Control UI from the gateway host or allow it in gateway.controlUi.allowedOrigins)',
        details: { code: 'CONTROL_UI_ORIGIN_NOT_ALLOWED', reason: 'origin missing or invalid' },
      });
    }
    // rate limit on auth failures: direct-local sockets without Origin are exempt
    const supplied = nonEmpty(p.auth?.token) ?? nonEmpty(p.auth?.password);
    const deviceToken = nonEmpty(p.auth?.deviceToken);
    const rateKey: RateKey = {
      source: peer.remoteAddress, credentialClass: deviceToken ? 'device-token' : 'shared-secret',
      ...(peer.origin ? { origin: peer.origin } : {}), exempt: peer.local && !peer.origin,
    };
    const gate = deps.rateLimit?.check(rateKey);
    if (gate && !gate.allowed) return refuse(rateLimited(gate.retryAfterMs));
    const authFailure = async (error: ErrorShape) => {
      const holdMs = deps.rateLimit?.recordFailure(rateKey) ?? 0;
      if (holdMs > 0) await new Promise((r) => setTimeout(r, holdMs)); // global ceiling: guessing at scale costs time
      return refuse(error);
    };
    // 5. shared secret (token and password are interchangeable; constant-time compare)
    const device = p.device;
    let method = 'none';
    let sharedOk = secret === undefined;
    if (secret !== undefined) {
      if (supplied !== undefined && timingSafeEqual(sha256(supplied), secret)) {
        method = 'token';
        sharedOk = true;
      } else if (supplied === undefined && deviceToken === undefined) {
        if (!device) return refuse({ code: 'NOT_PAIRED', message: 'device identity required', details: { code: 'DEVICE_IDENTITY_REQUIRED' } });
        return authFailure(tokenError('missing', hint(p.client.id, peer.local), false));
      } else if (!device) {
        return authFailure(tokenError('mismatch', hint(p.client.id, peer.local), false));
      }
      // otherwise: a device with something that is not the shared secret — maybe its device token (step 8)
    }
    // 6. device identity present, or allowed to be absent
    const requested = role === 'operator' ? [...new Set(p.scopes ?? [])] : [];
    if (!device) {
      if (CONTROL_UI_CLIENTS.has(p.client.id)) {
        return refuse({
          code: 'INVALID_REQUEST', message: 'control ui requires device identity (use HTTPS or localhost secure context)',
          details: { code: 'CONTROL_UI_DEVICE_IDENTITY_REQUIRED' },
        });
      }
      if (role === 'node') return refuse({ code: 'NOT_PAIRED', message: 'authenticated node pairing identity unavailable' });
      // a device-less shared-secret socket keeps its scopes only as a local backend or CLI
      const keeps = peer.local && ((p.client.id === 'gateway-client' && p.client.mode === 'backend') || (p.client.id === 'cli' && p.client.mode === 'cli'));
      deps.rateLimit?.recordSuccess(rateKey);
      return admitted(input, p, { method, role, scopes: keeps ? requested : [] });
    }
    // 7. device proof
    const proof = checkDeviceProof(device, {
      nonce: input.nonce, clientId: p.client.id, clientMode: p.client.mode, role, scopes: p.scopes ?? [],
      token: p.auth?.token ?? p.auth?.deviceToken ?? p.auth?.bootstrapToken ?? '',
      platform: p.client.platform, deviceFamily: p.client.deviceFamily, now: now(),
    });
    if ('error' in proof) return refuse(proof.error);
    const publicKey = canonicalPublicKey(proof.raw);
    const deviceId = deviceIdOf(proof.raw);
    // 8. device token: accepted in auth.deviceToken, or in auth.token when that is not the shared secret
    const candidate = deviceToken ?? (sharedOk ? undefined : supplied);
    let viaToken: HelloAuth | undefined;
    if (candidate !== undefined && !sharedOk) {
      const grant = deps.devices.verifyToken(deviceId, role, candidate);
      const paired = deps.devices.get(deviceId);
      if (!grant || !paired || paired.publicKey !== publicKey) {
        // §6.3: a device that sent no device token may retry with one, wherever it connects from (whether its
        // endpoint is trusted enough to do so is the client's call)
        if (deviceToken === undefined) return authFailure(tokenError('mismatch', hint(p.client.id, peer.local), true));
        return authFailure({
          code: 'INVALID_REQUEST', message: 'unauthorized: device token mismatch (rotate/reissue device token)',
          details: { code: 'AUTH_DEVICE_TOKEN_MISMATCH', authReason: 'device_token_mismatch', canRetryWithDeviceToken: false, recommendedNextStep: 'update_auth_credentials' },
        });
      }
      const wider = requested.find((s) => !grant.scopes.some((g) => g === s || scopeSatisfied([g], s)));
      if (wider) {
        return authFailure({
          code: 'INVALID_REQUEST', message: 'unauthorized: device token scope mismatch (re-pair or approve scope upgrade)',
          details: { code: 'AUTH_SCOPE_MISMATCH', authReason: 'scope_mismatch', canRetryWithDeviceToken: false, recommendedNextStep: 'review_auth_configuration', approvedScopes: grant.scopes },
        });
      }
      viaToken = { method: 'device-token', role, scopes: requested, deviceToken: candidate, issuedAtMs: grant.rotatedAtMs ?? grant.createdAtMs };
    }
    deps.rateLimit?.recordSuccess(rateKey);
    // 9. pairing: the same key, the role, the scopes and the pinned platform/deviceFamily must be approved.
    // Over a device token the grant already bounds the role and scopes (AUTH_SCOPE_MISMATCH above, no
    // request); the pinned metadata is checked all the same.
    const paired = deps.devices.get(deviceId);
    const metadataChanged = (d: PairedDevice) =>
      norm(d.platform) !== norm(p.client.platform) || norm(d.deviceFamily) !== norm(p.client.deviceFamily);
    const reason: PairingRequest['reason'] | undefined =
      !paired || paired.publicKey !== publicKey ? 'not-paired'
        : viaToken ? (metadataChanged(paired) ? 'metadata-upgrade' : undefined)
          : !paired.roles.includes(role) ? 'role-upgrade'
            : requested.some((s) => !scopeSatisfied(paired.scopes, s)) ? 'scope-upgrade'
              : metadataChanged(paired) ? 'metadata-upgrade'
                : undefined;
    if (reason) {
      const browserOk = !peer.origin || WEB_CLIENTS.has(p.client.id);
      // §10.2: a metadata refresh is silent only for a first-party native app UI on direct_local (whatever
      // autoApproveLocal says); the other reasons follow autoApproveLocal, a scope upgrade only with a secret
      const silent = peer.local && browserOk && (reason === 'metadata-upgrade'
        ? !peer.origin && p.client.mode === 'ui' && NATIVE_APP_CLIENTS.has(p.client.id)
        : deps.autoApproveLocal && (reason !== 'scope-upgrade' || ['none', 'token', 'password'].includes(method)));
      const ask = {
        deviceId, publicKey, role, scopes: requested, reason,
        client: {
          displayName: p.client.displayName, platform: norm(p.client.platform) || undefined, deviceFamily: norm(p.client.deviceFamily) || undefined,
          clientId: p.client.id, clientMode: p.client.mode, browserOrigin: peer.origin,
        },
        remoteIp: peer.remoteAddress, isRepair: paired !== undefined,
      };
      if (silent) {
        deps.devices.approve(ask, 'silent');
        const req: PairingRequest = { ...ask, requestId: `silent-${deviceId.slice(0, 16)}-${now()}`, ts: now() };
        deps.onPairingRequested(req, true);
        deps.onPairingResolved(req, 'approved');
      } else {
        const { request, created } = deps.devices.requestPairing(ask);
        if (created) deps.onPairingRequested(request, false);
        const message = `pairing required: ${PAIRING_TEXT[reason]}`;
        return refuse({
          code: 'NOT_PAIRED', message,
          details: {
            code: 'PAIRING_REQUIRED', reason, requestId: request.requestId,
            remediationHint: `approve this device on the gateway host: clawgate devices approve ${request.requestId}`,
            deviceId, requestedRole: role, requestedScopes: requested,
            ...(paired ? { approvedRoles: paired.roles, approvedScopes: paired.scopes } : {}),
            retryable: false, pauseReconnect: true, // no recommendedNextStep: 'wait_then_retry' would make clients retry instead of pausing
          },
        }, 1008, `${message} (requestId: ${request.requestId})`);
      }
    }
    if (viaToken) {
      deps.devices.seen(deviceId, 'connect');
      return admitted(input, p, viaToken, deviceId);
    }
    // 10. device token, issued once per device and role, the same on every reconnect
    const approved = deps.devices.get(deviceId)!;
    const issued = deps.devices.ensureToken(deviceId, role, role === 'operator' ? approved.scopes : []);
    deps.devices.seen(deviceId, 'connect');
    return admitted(input, p, { method, role, scopes: requested, deviceToken: issued.token, issuedAtMs: issued.issuedAtMs }, deviceId);
  };

  function admitted(input: AdmitInput, p: ConnectParams, auth: HelloAuth, deviceId?: string): AdmitResult {
    const result: Admitted = {
      role: auth.role, scopes: auth.scopes, hello: deps.hello(input, auth),
      // Object.assign, not a spread literal: V8 gives each `{...a, b}` object its own hidden class, and this
      // one lives as long as the socket
      client: Object.assign({}, p.client, {
        caps: (input.params.caps as string[] | undefined) ?? [], browser: WEB_CLIENTS.has(p.client.id),
        ...(deviceId ? { deviceId } : {}),
        commands: (input.params.commands as string[] | undefined) ?? [],
        permissions: (input.params.permissions as Record<string, boolean> | undefined) ?? {},
      }),
    };
    return { ok: true, admitted: result };
  }
}

function tokenError(kind: 'missing' | 'mismatch', hintText: string, canRetryWithDeviceToken: boolean): ErrorShape {
  return {
    code: 'INVALID_REQUEST',
    message: `unauthorized: gateway token ${kind} ${hintText}`,
    details: {
      code: kind === 'missing' ? 'AUTH_TOKEN_MISSING' : 'AUTH_TOKEN_MISMATCH',
      authReason: `token_${kind}`,
      canRetryWithDeviceToken,
      recommendedNextStep: canRetryWithDeviceToken ? 'retry_with_device_token' : kind === 'missing' ? 'update_auth_configuration' : 'update_auth_credentials',
    },
  };
}

export function rateLimited(retryAfterMs: number): ErrorShape {
  return {
    code: 'INVALID_REQUEST', message: 'unauthorized: too many failed authentication attempts (retry later)', retryable: true, retryAfterMs,
    details: { code: 'AUTH_RATE_LIMITED', authReason: 'rate_limited', canRetryWithDeviceToken: false, recommendedNextStep: 'wait_then_retry' },
  };
}

function hint(clientId: string, local: boolean): string {
  if (clientId === 'cli') return local ? "(use this gateway's gateway.auth.token or pair the device)" : '(set gateway.remote.token to match gateway.auth.token)';
  if (WEB_CLIENTS.has(clientId)) return '(open the dashboard URL and paste the token in Control UI settings)';
  return '(provide gateway auth token)';
}
