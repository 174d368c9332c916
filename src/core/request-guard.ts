// The shape of a Host / Origin check, shared by the rules (src/policy/request-guard.ts) and the transport that
// applies them before it routes a request or an upgrade.

/** The headers the request guard reads. */
export interface GuardInput {
  origin: string;
  host: string;
  secFetchSite: string;
  /** Health routes: the Host rule does not apply. */
  skipHostCheck?: boolean;
}

/** Why a request was refused (answered 403). */
export interface GuardRefusal {
  reason: 'host' | 'origin' | 'cross-site';
  /** Names the flag that would allow the request. */
  message: string;
}

/** Checks one request; returns the refusal, or undefined when it may proceed. */
export type RequestGuard = (input: GuardInput) => GuardRefusal | undefined;
