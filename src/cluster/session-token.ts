// A session key is free text (an HTTP header, a channel's chat id, "agent:main:telegram:…"), but it ends up
// in NATS subjects (`clawgate.inbox.<token>`, `clawgate.events.<kind>.<token>`) and KV keys, where `.`, `*`,
// `>`, spaces and most punctuation have meaning or are refused. The token is the key's UTF-8 bytes in
// base64url without padding: only [A-Za-z0-9_-], one subject token, one valid KV key, and reversible.

/** The NATS-safe token (base64url, no padding) of a session key; throws for an empty key. */
export function sessionToken(sessionKey: string): string {
  if (sessionKey === '') throw new Error('an empty session key has no token');
  return Buffer.from(sessionKey, 'utf8').toString('base64url');
}

/** The session key a token was made from; throws for anything sessionToken() cannot have produced. */
export function sessionKeyOf(token: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new Error(`not a session token: "${token}"`);
  const key = Buffer.from(token, 'base64url').toString('utf8');
  // Buffer decoding is lenient (stray trailing bits, invalid UTF-8): only a canonical token is accepted
  if (key === '' || sessionToken(key) !== token) throw new Error(`not a session token: "${token}"`);
  return key;
}
