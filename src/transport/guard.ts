// What the transport asks of the Host / Origin rules before it routes a request or an upgrade. The rules
// themselves are policy (src/policy/request-guard.ts); the composition root passes them in.

export type { GuardInput, GuardRefusal, RequestGuard } from '../core/request-guard.js';
