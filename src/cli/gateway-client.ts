import { parseArgs, type ParseArgsConfig } from 'node:util';
import { GatewayError, GatewayUnavailableError, type GatewayTarget } from './gateway-connection.js';
import { ConfigError, DEFAULTS, parseGatewayArgs } from '../config.js';

export * from './gateway-connection.js';

// What every owner command shares (`clawgate devices|nodes|status …`): the connection flags, where to
// connect (flags, --config, env), and exit codes. The connection itself is src/cli/gateway-connection.ts (on clawgate/client).

/** Bad command line (exit 2). */
export class UsageError extends Error {}

/** The owner commands' exit codes (69 is EX_UNAVAILABLE). */
export const EXIT = { ok: 0, gatewayError: 1, usage: 2, unavailable: 69 } as const;

/** The connection flags every owner command takes (see CONNECTION_USAGE). */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  token: { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** The connection part of every owner command's `--help`. */
export const CONNECTION_USAGE = `Connection (the gateway must be running; connect over loopback to keep the owner's scopes):
  --url ws://HOST:PORT   gateway WebSocket URL (default ws://127.0.0.1:18789)
  --host HOST            gateway host (default 127.0.0.1)
  --port N               gateway port (default 18789)
  --token SECRET         the gateway's shared secret (else the --config file's token, else env OPENCLAW_GATEWAY_TOKEN)
  --config FILE          the gateway's JSON or YAML config file: its token, port and bind are used
  --json                 print the gateway's raw JSON payload

Exit codes: 0 ok, 1 the gateway answered an error, 2 usage error, 69 gateway not reachable.
`;

/** What {@link parseCommandArgs} returns: the flag values and the positionals. */
export type ParsedCommand<O extends NonNullable<ParseArgsConfig['options']>> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: true }>>;

/** Strict parse of an owner command's arguments; any parse problem is a UsageError. */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O): ParsedCommand<O> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true }) as ParsedCommand<O>;
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
}

/**
 * Where the gateway is and which secret to present. Precedence as for `clawgate gateway`: flags, then the
 * --config file, then OPENCLAW_GATEWAY_TOKEN (token only), then the defaults (127.0.0.1:18789).
 */
export function resolveTarget(
  flags: { url?: string; host?: string; port?: string; token?: string; config?: string },
  env: NodeJS.ProcessEnv = process.env,
): GatewayTarget {
  let fileHost: string | undefined;
  let filePort: number | undefined;
  let fileToken: string | undefined;
  if (flags.config !== undefined) {
    try {
      // the gateway's own reader and checks; the environment is left out so only the file speaks here, but for
      // the Telegram token a `channels.telegram` block may rely on (else a file the gateway accepts is refused)
      const cfg = parseGatewayArgs(['--config', flags.config], { TELEGRAM_BOT_TOKEN: env.TELEGRAM_BOT_TOKEN });
      fileHost = connectHost(cfg.bind);
      filePort = cfg.port;
      fileToken = cfg.token;
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(err.message);
      throw err;
    }
  }
  const token = nonBlank(flags.token, '--token') ?? fileToken ?? nonBlank(env.OPENCLAW_GATEWAY_TOKEN, 'OPENCLAW_GATEWAY_TOKEN');
  if (flags.url !== undefined) {
    if (flags.host !== undefined || flags.port !== undefined) throw new UsageError('--url cannot be combined with --host or --port');
    return { url: parseUrl(flags.url), token };
  }
  const host = flags.host !== undefined ? flags.host.trim().replace(/^\[(.*)\]$/, '$1') : fileHost ?? DEFAULTS.bind;
  if (host === '' || /[\s/?#@]/.test(host)) throw new UsageError(`--host must be a host name or address, got "${flags.host}"`);
  let port = filePort ?? DEFAULTS.port;
  if (flags.port !== undefined) {
    port = /^\d{1,5}$/.test(flags.port.trim()) ? Number(flags.port) : NaN;
    if (!(port >= 1 && port <= 65535)) throw new UsageError(`--port must be between 1 and 65535, got "${flags.port}"`);
  }
  if (port === 0) throw new UsageError('the --config file sets port 0 (ephemeral): pass --port');
  return { url: `ws://${host.includes(':') ? `[${host}]` : host}:${port}`, token };
}

function nonBlank(value: string | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === '') {
    if (what === 'OPENCLAW_GATEWAY_TOKEN') return undefined;
    throw new UsageError(`${what} is empty`);
  }
  return v;
}

/** A wildcard bind is reached over loopback (the only way to keep the owner's scopes). */
function connectHost(bind: string): string {
  if (bind === '' || bind === '0.0.0.0') return '127.0.0.1';
  if (bind === '::') return '::1';
  return bind;
}

function parseUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new UsageError(`--url must be a ws:// or wss:// URL, got "${raw}"`);
  }
  if (u.protocol === 'http:' || u.protocol === 'https:') u.protocol = u.protocol === 'http:' ? 'ws:' : 'wss:';
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new UsageError(`--url must be a ws:// or wss:// URL, got "${raw}"`);
  if (u.username || u.password) throw new UsageError('--url must not carry credentials: use --token');
  return u.toString();
}

/** Runs an owner command and turns its outcome into an exit code, with one line on stderr for a failure. */
export async function runOwnerCommand(fn: () => Promise<void>): Promise<number> {
  try {
    await fn();
    return EXIT.ok;
  } catch (err) {
    if (err instanceof UsageError) return report(err.message, EXIT.usage);
    if (err instanceof GatewayError) return report(err.message, EXIT.gatewayError);
    if (err instanceof GatewayUnavailableError) return report(err.message, EXIT.unavailable);
    throw err;
  }
}

function report(message: string, code: number): number {
  process.stderr.write(`clawgate: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  return code;
}

