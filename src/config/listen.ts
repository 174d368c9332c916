import { ConfigError, type GatewayConfig } from './gateway-config.js';
import { DEFAULTS } from './options.js';
import type { OptionReader } from './reader.js';
import { isLoopbackHost } from '../policy/addresses.js';

// Where the gateway listens and the shared secret that guards it: a non-loopback bind needs a strong token.

const MIN_TOKEN_LENGTH = 32;
/** A token of few distinct characters ("aaaa…", "abab…") is guessable whatever its length. */
const MIN_DISTINCT_CHARS = 16;
const TOKEN_HINT = 'use a random secret such as the output of `openssl rand -base64 32`';
const WEAK_TOKENS = new Set(['undefined', 'null', 'changeme', 'change-me', 'token', 'secret', 'password']);


/** `--port`, 0 to 65535 (0 = any free port). */
export function listenPort(o: OptionReader): number {
  const port = o.int('port') ?? DEFAULTS.port;
  if (port > 65535) throw new ConfigError('--port must be between 0 and 65535');
  return port;
}

/** `--bind` and `--token`: the token, when given, is strong; a bind beyond loopback requires one. */
export function bindAndToken(o: OptionReader): Pick<GatewayConfig, 'bind' | 'token'> {
  // `[::1]` is how people write an IPv6 host, but the listener wants the bare address
  const bind = (o.str('bind') ?? DEFAULTS.bind).trim().replace(/^\[(.*)\]$/, '$1');
  // Trimmed: an HTTP header value cannot carry surrounding whitespace, so an untrimmed token (a stray
  // newline from an env file) could never be presented and would lock every client out.
  const token = o.str('token')?.trim();
  if (token !== undefined) {
    const weakness = tokenWeakness(token);
    if (weakness) throw new ConfigError(`--token ${weakness}: ${TOKEN_HINT}`);
  }
  if (!isLoopbackHost(bind) && token === undefined) {
    throw new ConfigError(`refusing to bind ${bind} without a token: set --token (at least ${MIN_TOKEN_LENGTH} characters) or bind 127.0.0.1`);
  }
  return { bind, token };
}

/**
 * Why `token` (trimmed) is too weak to guard the gateway, or undefined when it is strong enough: empty or a
 * placeholder, shorter than 32 characters, or fewer than 16 distinct characters.
 */
export function tokenWeakness(token: string): string | undefined {
  if (token === '' || WEAK_TOKENS.has(token.toLowerCase())) return 'is empty or a placeholder';
  const length = [...token].length;
  if (length < MIN_TOKEN_LENGTH) return `must be at least ${MIN_TOKEN_LENGTH} characters (got ${length})`;
  const distinct = new Set(token).size;
  if (distinct < MIN_DISTINCT_CHARS) return `must have at least ${MIN_DISTINCT_CHARS} distinct characters (got ${distinct})`;
  return undefined;
}
