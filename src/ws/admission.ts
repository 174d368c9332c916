import { createHash, timingSafeEqual } from 'node:crypto';
import type { AdmitInput, AdmitResult, Admitted } from '../machines/connection.js';
import type { ErrorShape } from '../machines/authorize.js';

// Admission of a `connect` (openclaw-protocol.md §3.3), in the spec's order; the first failing check
// decides. Device identity, pairing and device tokens (steps 7–11) come with issue 3/4.

export interface AdmissionDeps {
  /** Shared secret; undefined = auth mode `none` (loopback binds only). */
  token?: string;
  isDraining: () => boolean;
  /** Builds the hello-ok payload once the connection is admitted. */
  hello: (input: AdmitInput, auth: { method: string; role: string; scopes: string[] }) => Record<string, unknown>;
}

const PROTOCOL = 4;
const CONTROL_UI_CLIENTS = new Set(['openclaw-control-ui', 'openclaw-browser-copilot', 'openclaw-tui']);
const WEB_CLIENTS = new Set(['openclaw-control-ui', 'webchat-ui', 'webchat']);

interface Client {
  id: string;
  mode: string;
  [k: string]: unknown;
}

const refuse = (error: ErrorShape, code = 1008, reason = error.message): AdmitResult =>
  ({ ok: false, error, close: { code, reason } });

export function createAdmission(deps: AdmissionDeps): (input: AdmitInput) => Promise<AdmitResult> {
  const secretDigest = deps.token === undefined ? undefined : sha256(deps.token);

  return async (input) => {
    const p = input.params as {
      minProtocol: number; maxProtocol: number; client: Client; role?: string; scopes?: string[];
      device?: unknown; auth?: { token?: string; password?: string; deviceToken?: string };
    };
    // 1. startup / drain gate
    if (deps.isDraining()) {
      return refuse({ code: 'UNAVAILABLE', message: 'gateway restart in progress', retryable: true, retryAfterMs: 1000, details: { reason: 'draining' } },
        1013, 'gateway restart in progress');
    }
    // 2. protocol range
    const role = p.role ?? 'operator';
    const probe = p.client.mode === 'probe';
    const nodeIdentity = role === 'node' && p.client.mode === 'node';
    const inRange = (p.minProtocol <= PROTOCOL && PROTOCOL <= p.maxProtocol)
      || (probe && p.maxProtocol >= 3 && p.minProtocol <= PROTOCOL)
      || (nodeIdentity && p.maxProtocol >= 3 && p.minProtocol <= PROTOCOL);
    if (!inRange) {
      return refuse({
        code: 'INVALID_REQUEST', message: 'protocol mismatch',
        details: { code: 'PROTOCOL_MISMATCH', clientMinProtocol: p.minProtocol, clientMaxProtocol: p.maxProtocol, expectedProtocol: PROTOCOL, minimumProbeProtocol: 3 },
      }, 1002, 'protocol mismatch');
    }
    // 3. role
    if (role !== 'operator' && role !== 'node') return refuse({ code: 'INVALID_REQUEST', message: 'invalid role' });
    // 4. Origin / Control UI (the upgrade already refused origins outside the allowlist)
    if (CONTROL_UI_CLIENTS.has(p.client.id) && !input.peer.origin) {
      return refuse({
        code: 'INVALID_REQUEST',
        message: 'origin not allowed (open the Control UI from the gateway host or allow it in gateway.controlUi.allowedOrigins)',
        details: { code: 'CONTROL_UI_ORIGIN_NOT_ALLOWED', reason: 'origin missing or invalid' },
      });
    }
    // 5. shared secret (token and password are interchangeable; compared in constant time)
    const supplied = nonEmpty(p.auth?.token) ?? nonEmpty(p.auth?.password);
    const hasDevice = p.device !== undefined;
    let method = 'none';
    if (secretDigest !== undefined) {
      if (supplied === undefined) {
        if (!hasDevice) return refuse({ code: 'NOT_PAIRED', message: 'device identity required', details: { code: 'DEVICE_IDENTITY_REQUIRED' } });
        return refuse(authError('missing', tokenHint(p.client, input.peer.local), false));
      }
      if (!timingSafeEqual(sha256(supplied), secretDigest)) {
        const canRetry = hasDevice && nonEmpty(p.auth?.deviceToken) === undefined && input.peer.local;
        return refuse(authError('mismatch', tokenHint(p.client, input.peer.local), canRetry));
      }
      method = 'token';
    }
    // 6. device identity present, or allowed to be absent
    if (!hasDevice) {
      if (CONTROL_UI_CLIENTS.has(p.client.id)) {
        return refuse({
          code: 'INVALID_REQUEST', message: 'control ui requires device identity (use HTTPS or localhost secure context)',
          details: { code: 'CONTROL_UI_DEVICE_IDENTITY_REQUIRED' },
        });
      }
      if (role === 'node') return refuse({ code: 'NOT_PAIRED', message: 'authenticated node pairing identity unavailable' });
    }
    // 12. scopes: a device-less shared-secret socket keeps its scopes only as a local backend or CLI
    const requested = role === 'operator' ? [...new Set(p.scopes ?? [])] : [];
    const keeps = input.peer.local && ((p.client.id === 'gateway-client' && p.client.mode === 'backend') || (p.client.id === 'cli' && p.client.mode === 'cli'));
    const scopes = hasDevice || keeps ? requested : [];
    const auth = { method, role, scopes };
    const admitted: Admitted = {
      role, scopes, hello: deps.hello(input, auth),
      client: { ...p.client, caps: (input.params.caps as string[] | undefined) ?? [], browser: WEB_CLIENTS.has(p.client.id) },
    };
    return { ok: true, admitted };
  };
}

function authError(kind: 'missing' | 'mismatch', hint: string, canRetryWithDeviceToken: boolean): ErrorShape {
  return {
    code: 'INVALID_REQUEST',
    message: `unauthorized: gateway token ${kind} ${hint}`,
    details: {
      code: kind === 'missing' ? 'AUTH_TOKEN_MISSING' : 'AUTH_TOKEN_MISMATCH',
      authReason: `token_${kind}`,
      canRetryWithDeviceToken,
      recommendedNextStep: canRetryWithDeviceToken ? 'retry_with_device_token'
        : kind === 'missing' ? 'update_auth_configuration' : 'update_auth_credentials',
    },
  };
}

function tokenHint(client: Client, local: boolean): string {
  if (client.id === 'cli') return local ? "(use this gateway's gateway.auth.token or pair the device)" : '(set gateway.remote.token to match gateway.auth.token)';
  if (client.id === 'openclaw-control-ui' || client.id === 'webchat-ui' || client.id === 'webchat') {
    return '(open the dashboard URL and paste the token in Control UI settings)';
  }
  return '(provide gateway auth token)';
}

const nonEmpty = (s: string | undefined) => (typeof s === 'string' && s !== '' ? s : undefined);
const sha256 = (s: string) => createHash('sha256').update(s).digest();
