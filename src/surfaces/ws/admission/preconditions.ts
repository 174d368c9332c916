import type { AdmitResult } from '../../../machines/connection.js';
import type { ConnectAttempt } from './attempt.js';
import { CONTROL_UI_CLIENTS } from './clients.js';
import { refuse } from './refusals.js';

const PROTOCOL = 4;

/**
 * Steps 1 to 4 of admission, before any credential is looked at: drain gate, protocol range, role, Control
 * UI origin. The refusal of the first that fails, or undefined.
 */
export function checkPreconditions(isDraining: () => boolean, a: ConnectAttempt): AdmitResult | undefined {
  const { p, role, peer } = a;
  // 1. startup / drain gate
  if (isDraining()) {
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
  return undefined;
}
