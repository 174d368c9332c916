import type { AdmitInput, PeerInfo } from '../../../machines/connection.js';
import type { DeviceClaim } from '../../../policy/device-proof.js';

// One `connect` as admission reads it: the params (already shape-checked by the connection machine), the
// peer, and the few facts every step asks about.

/** The `connect` params admission looks at (openclaw-protocol.md §3.3). */
export interface ConnectParams {
  minProtocol: number;
  maxProtocol: number;
  client: { id: string; mode: string; platform?: string; deviceFamily?: string; displayName?: string; version?: string };
  role?: string;
  scopes?: string[];
  device?: DeviceClaim;
  auth?: { token?: string; password?: string; deviceToken?: string; bootstrapToken?: string };
}

/** A `connect` under admission. */
export interface ConnectAttempt {
  input: AdmitInput;
  p: ConnectParams;
  peer: PeerInfo;
  /** `params.role`, operator when absent. */
  role: string;
  /** `auth.token` or `auth.password` (interchangeable), when not empty. */
  supplied?: string;
  /** `auth.deviceToken`, when not empty. */
  deviceToken?: string;
  /** The scopes asked for, each once (operators only: a node asks for none). */
  requested: string[];
}

const nonEmpty = (s: string | undefined) => (typeof s === 'string' && s !== '' ? s : undefined);

/** Reads the facts of one `connect`. */
export function readAttempt(input: AdmitInput): ConnectAttempt {
  const p = input.params as unknown as ConnectParams;
  const role = p.role ?? 'operator';
  return {
    input, p, peer: input.peer, role,
    supplied: nonEmpty(p.auth?.token) ?? nonEmpty(p.auth?.password),
    deviceToken: nonEmpty(p.auth?.deviceToken),
    requested: role === 'operator' ? [...new Set(p.scopes ?? [])] : [],
  };
}
