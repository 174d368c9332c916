import type { AdmitResult } from '../../../machines/connection.js';
import type { ConnectAttempt } from './attempt.js';
import { CONTROL_UI_CLIENTS } from './clients.js';
import { refuse } from './refusals.js';

/** Step 6, for a `connect` without a device identity: the refusal when one is required, or undefined. */
export function deviceRequired(a: ConnectAttempt): AdmitResult | undefined {
  if (CONTROL_UI_CLIENTS.has(a.p.client.id)) {
    return refuse({
      code: 'INVALID_REQUEST', message: 'control ui requires device identity (use HTTPS or localhost secure context)',
      details: { code: 'CONTROL_UI_DEVICE_IDENTITY_REQUIRED' },
    });
  }
  if (a.role === 'node') return refuse({ code: 'NOT_PAIRED', message: 'authenticated node pairing identity unavailable' });
  return undefined;
}

/** The scopes a device-less shared-secret socket keeps: all it asked for as a local backend or CLI, else none. */
export function deviceLessScopes(a: ConnectAttempt): string[] {
  const { client } = a.p;
  const keeps = a.peer.local && ((client.id === 'gateway-client' && client.mode === 'backend') || (client.id === 'cli' && client.mode === 'cli'));
  return keeps ? a.requested : [];
}
