// Role gate and operator scopes (openclaw-protocol.md §7.1–§7.2): pure functions the connection machine uses.

/** Every operator scope of the protocol. */
export const OPERATOR_SCOPES = [
  'operator.admin', 'operator.read', 'operator.write', 'operator.sessions.read', 'operator.sessions.write',
  'operator.approvals', 'operator.questions', 'operator.pairing', 'operator.talk', 'operator.talk.secrets',
] as const;

// Tables keyed by what a client sends (scopes, method names) are Maps: a plain object would answer
// `constructor`, `__proto__` or `toString` from Object.prototype.
const IMPLIES: ReadonlyMap<string, readonly string[]> = new Map([
  ['operator.write', ['operator.read', 'operator.talk', 'operator.sessions.read', 'operator.sessions.write']],
  ['operator.read', ['operator.sessions.read']],
  ['operator.sessions.write', ['operator.sessions.read']],
]);

/** Does a socket holding `held` satisfy `required`? admin ⊇ everything; write ⇒ read, … */
export function scopeSatisfied(held: readonly string[], required: string): boolean {
  if (held.includes('operator.admin') || held.includes(required)) return true;
  return held.some((s) => IMPLIES.get(s)?.includes(required) || IMPLIES.get(s)?.some((t) => IMPLIES.get(t)?.includes(required)));
}

/** Methods only nodes may call. */
export const NODE_METHODS: ReadonlySet<string> = new Set([
  'node.invoke.result', 'node.invoke.progress', 'node.event', 'node.pending.pull', 'node.pending.ack',
  'node.pending.drain', 'node.pluginSurface.refresh', 'node.pluginTools.update', 'node.skills.update',
  'node.runnerInventory.update', 'skills.bins',
]);

/** Scopes each operator method needs (all listed must be held). Unlisted methods need operator.admin. */
export const METHOD_SCOPES: ReadonlyMap<string, readonly string[]> = new Map(Object.entries({
  status: ['operator.read'],
  'system-presence': ['operator.read'],
  'last-heartbeat': ['operator.read'],
  send: ['operator.write'],
  agent: ['operator.write'],
  'agent.wait': ['operator.write'],
  'chat.send': ['operator.write'],
  'chat.history': ['operator.read'],
  'chat.abort': ['operator.write'],
  'sessions.list': ['operator.read'],
  'sessions.subscribe': ['operator.read'],
  'sessions.messages.subscribe': ['operator.read'],
  'sessions.messages.unsubscribe': ['operator.read'],
  // as OpenClaw: resetting a session's context is an admin operation (so is `agent` with a reset command, §12.1)
  'sessions.reset': ['operator.admin'],
  'channels.status': ['operator.read'],
  'channels.logout': ['operator.admin'],
  'channels.start': ['operator.admin'],
  'channels.stop': ['operator.admin'],
  'channels.pairing.list': ['operator.pairing'],
  'channels.pairing.approve': ['operator.pairing'],
  'channels.pairing.reject': ['operator.pairing'],
  'channels.pairing.dismiss': ['operator.pairing'],
  'web.login.start': ['operator.admin'],
  'web.login.wait': ['operator.admin'],
  'device.pair.list': ['operator.pairing'],
  'device.pair.approve': ['operator.pairing'],
  'device.pair.reject': ['operator.pairing'],
  'device.pair.remove': ['operator.pairing'],
  'device.token.rotate': ['operator.pairing'],
  'device.token.revoke': ['operator.pairing'],
  'node.pair.list': ['operator.pairing'],
  'node.pair.approve': ['operator.pairing', 'operator.write'],
  'node.pair.reject': ['operator.pairing'],
  'node.pair.remove': ['operator.pairing'],
  'node.list': ['operator.read'],
  'node.describe': ['operator.read'],
  'node.invoke': ['operator.write'],
  'clawgate.inspect.ticket': ['operator.admin'],
}));

/** A protocol error (`error` of a `res` frame). */
export interface ErrorShape {
  code: string;
  message: string;
  details?: unknown;
  retryable?: boolean;
  retryAfterMs?: number;
}

/** The FORBIDDEN error for a method called without one of its scopes. */
export function missingScope(scope: string, required: readonly string[]): ErrorShape {
  return {
    code: 'FORBIDDEN',
    message: `missing scope: ${scope}`,
    details: { code: 'MISSING_SCOPE', missingScope: scope, requiredScopes: [...required] },
  };
}

/** The role gate then the scope check; `undefined` means allowed. `roleDenied` feeds the flood guard. */
export function authorizeMethod(role: string, scopes: readonly string[], method: string):
  { error: ErrorShape; roleDenied: boolean } | undefined {
  if (method === 'health') return undefined;
  if (NODE_METHODS.has(method)) {
    return role === 'node' ? undefined : { error: { code: 'INVALID_REQUEST', message: `unauthorized role: ${role}` }, roleDenied: true };
  }
  if (role !== 'operator') return { error: { code: 'INVALID_REQUEST', message: `unauthorized role: ${role}` }, roleDenied: true };
  const required = METHOD_SCOPES.get(method) ?? ['operator.admin'];
  const missing = required.find((s) => !scopeSatisfied(scopes, s));
  return missing ? { error: missingScope(missing, required), roleDenied: false } : undefined;
}

/** A close reason is at most 120 bytes of UTF-8, never cut inside a character. */
export function truncateCloseReason(text: string, maxBytes = 120): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--; // back off continuation bytes
  return buf.subarray(0, end).toString('utf8');
}
