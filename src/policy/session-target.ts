import type { ErrorShape } from './authorize.js';

// A session-mutating request without a session key: OpenClaw refuses it for what it is (no target session)
// before it checks the rest of the params (openclaw-protocol.md §13.1), so a client sees this refusal, not
// the schema's `must have required property 'sessionKey'`.

/** Methods that act on one session named by `sessionKey`. */
const SESSION_MUTATIONS: ReadonlySet<string> = new Set(['chat.send']);

/** The §13.1 refusal when `method` mutates a session and `params` name none (absent, not a string, or blank). */
export function missingSessionTarget(method: string, params: unknown): ErrorShape | undefined {
  if (!SESSION_MUTATIONS.has(method)) return undefined;
  const key = params !== null && typeof params === 'object' ? (params as { sessionKey?: unknown }).sessionKey : undefined;
  if (typeof key === 'string' && key.trim() !== '') return undefined;
  // a sessionKey of the wrong type is a schema problem, reported as such
  if (key !== undefined && typeof key !== 'string') return undefined;
  return { code: 'INVALID_REQUEST', message: 'session mutation target is unavailable', details: { code: 'SESSION_MUTATION_TARGET_REQUIRED', method } };
}
