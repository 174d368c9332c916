import type { AdmitInput } from '../../machines/connection.js';
import { scopeSatisfied } from '../../policy/authorize.js';
import type { CanvasCaps } from './canvas-caps.js';

export type { CanvasCaps };

// hello-ok's `pluginSurfaceUrls` (web-surfaces.md C5, openclaw-protocol.md §18.3): while the canvas host is
// on, a node socket that declared cap `canvas` and an operator socket holding operator.read are told
// `<scheme>://<host>/__openclaw__/cap/<cap>`, a capability URL bound to that connection.

/** The path every capability URL starts with. */
export const CAP_PREFIX = '/__openclaw__/cap';

/** The `pluginSurfaceUrls` part of a hello-ok, or nothing for a client that gets no canvas URL. */
export function pluginSurfaces(caps: CanvasCaps | undefined, input: AdmitInput, auth: { role: string; scopes: string[] }):
  Record<string, unknown> {
  if (!caps || !input.peer.urlBase) return {};
  const declared = Array.isArray(input.params.caps) ? (input.params.caps as unknown[]) : [];
  const wants = auth.role === 'node' ? declared.includes('canvas') : auth.role === 'operator' && scopeSatisfied(auth.scopes, 'operator.read');
  if (!wants) return {};
  return { pluginSurfaceUrls: { canvas: `${input.peer.urlBase}${CAP_PREFIX}/${caps.issue(input.connId)}` } };
}
