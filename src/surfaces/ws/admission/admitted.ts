import type { AdmitResult, Admitted } from '../../../machines/connection.js';
import type { ConnectAttempt } from './attempt.js';
import { WEB_CLIENTS } from './clients.js';
import type { AdmissionDeps, HelloAuth } from './deps.js';

/** The accepted answer: role, scopes, the hello-ok payload, and what the edge keeps about the client. */
export function admitted(hello: AdmissionDeps['hello'], a: ConnectAttempt, auth: HelloAuth, deviceId?: string): AdmitResult {
  const { input, p } = a;
  const result: Admitted = {
    role: auth.role, scopes: auth.scopes, hello: hello(input, auth),
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
