import { accessSync, constants, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import type { GatewayConfig } from '../config.js';

// The checks `clawgate doctor` runs, one function each. A check never throws: it returns what it found and,
// for a problem, what to do about it.

/** One check's outcome: `fix` is set exactly when it found a problem. */
export interface CheckResult {
  check: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

const ok = (check: string, detail: string): CheckResult => ({ check, ok: true, detail });
const problem = (check: string, detail: string, fix: string): CheckResult => ({ check, ok: false, detail, fix });

/** The Node.js major version the gateway needs. */
export const MIN_NODE_MAJOR = 20;
/** The token rules the gateway enforces (length and distinct characters). */
export const TOKEN_MIN_LENGTH = 32;
/** See TOKEN_MIN_LENGTH. */
export const TOKEN_MIN_DISTINCT = 16;
const MODEL_PROBE_TIMEOUT_MS = 5_000;
const TOKEN_FIX = 'use a random secret, e.g. `openssl rand -base64 33` (set --token, the config file\'s token, or OPENCLAW_GATEWAY_TOKEN)';

/** Node.js is at least MIN_NODE_MAJOR. */
export function checkNode(version = process.versions.node): CheckResult {
  const major = Number(version.split('.')[0]);
  if (major >= MIN_NODE_MAJOR) return ok('node', `Node.js ${version}`);
  return problem('node', `Node.js ${version} is too old (need ${MIN_NODE_MAJOR} or newer)`, `install Node.js ${MIN_NODE_MAJOR} LTS or newer (https://nodejs.org)`);
}

/** The state dir is a writable directory, or can be created. */
export function checkStateDir(dir: string): CheckResult {
  if (!existsSync(dir)) {
    let parent = dirname(dir);
    while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
    try {
      accessSync(parent, constants.W_OK);
      return ok('state-dir', `${dir} does not exist yet; the gateway will create it`);
    } catch {
      return problem('state-dir', `${dir} does not exist and ${parent} is not writable`, `create it (mkdir -p ${dir}) as the user that runs the gateway, or choose another --state-dir`);
    }
  }
  if (!statSync(dir).isDirectory()) {
    return problem('state-dir', `${dir} is not a directory`, `move the file away (mv ${dir} ${dir}.bak) or choose another --state-dir`);
  }
  const probe = join(dir, `.doctor-${process.pid}`);
  try {
    writeFileSync(probe, '');
    rmSync(probe);
    return ok('state-dir', `${dir} is writable`);
  } catch (err) {
    return problem('state-dir', `${dir} is not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      `give the gateway's user write access (chown -R $USER ${dir}) or choose another --state-dir`);
  }
}

/** The pid recorded in `<state-dir>/gateway.lock` (a bare number or JSON with `pid`), if any. */
function lockPid(file: string): number | undefined {
  let body: string;
  try {
    body = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const m = /"pid"\s*:\s*(\d+)/.exec(body) ?? /^\s*(\d+)/.exec(body);
  return m ? Number(m[1]) : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** No live gateway holds `<state-dir>/gateway.lock`. */
export function checkLock(dir: string): CheckResult {
  const file = join(dir, 'gateway.lock');
  if (!existsSync(file)) return ok('lock', 'no gateway holds the state dir');
  const pid = lockPid(file);
  if (pid === undefined) return ok('lock', `${file} holds no pid; the gateway will take it over`);
  if (pid !== process.pid && alive(pid)) {
    return problem('lock', `a gateway (pid ${pid}) holds ${dir}`, `stop it first (kill ${pid}, or systemctl --user stop clawgate), or use another --state-dir`);
  }
  return ok('lock', `stale lock of pid ${pid} (not running); the gateway will take it over`);
}

/** `PRAGMA integrity_check` on `<state-dir>/clawgate.db`, opened read-only, when it exists. */
export async function checkDatabase(dir: string): Promise<CheckResult> {
  const file = join(dir, 'clawgate.db');
  if (!existsSync(file)) return ok('database', 'no database yet; the gateway will create it');
  const moveAside = `stop the gateway, move it aside (mv ${file} ${file}.corrupt; also ${file}-wal and ${file}-shm if present) and start again with an empty database, or restore a backup`;
  const { databaseIntegrity } = await import('../store/integrity.js');
  try {
    const findings = databaseIntegrity(file);
    if (findings.length === 1 && findings[0] === 'ok') return ok('database', `${file}: integrity ok`);
    return problem('database', `${file} is damaged: ${findings.slice(0, 3).join('; ')}`, moveAside);
  } catch (err) {
    return problem('database', `${file} cannot be read as a database (${(err as Error).message})`, moveAside);
  }
}

/** Each enabled WhatsApp account: linked (credentials stored in the state dir) or waiting for a login. */
export async function checkWhatsApp(dir: string, accounts: readonly { accountId: string }[]): Promise<CheckResult[]> {
  if (accounts.length === 0) return [];
  const file = join(dir, 'clawgate.db');
  let linked = new Set<string>();
  if (existsSync(file)) {
    const { linkedWhatsAppAccounts } = await import('../store/integrity.js');
    try {
      linked = linkedWhatsAppAccounts(file);
    } catch {
      // the database check reports an unreadable file
    }
  }
  return accounts.map((a) => linked.has(a.accountId)
    ? ok('whatsapp', `whatsapp/${a.accountId}: linked`)
    : problem('whatsapp', `whatsapp/${a.accountId}: not linked`, `start the gateway, then link a phone: clawgate channels login whatsapp${a.accountId === 'default' ? '' : ` --account ${a.accountId}`}`));
}

/** Nothing listens on the gateway's address and port (tried by binding it for a moment). */
export function checkPort(bind: string, port: number): Promise<CheckResult> {
  if (port === 0) return Promise.resolve(ok('port', 'port 0: the gateway picks a free port'));
  const where = `${bind.includes(':') ? `[${bind}]` : bind}:${port}`;
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        resolve(problem('port', `${where} is already in use`, `stop what listens there (ss -ltnp 'sport = :${port}' or lsof -i :${port}), or choose another --port`));
      } else if (err.code === 'EADDRNOTAVAIL') {
        resolve(problem('port', `${bind} is not an address of this machine`, 'use --bind 127.0.0.1, 0.0.0.0 or one of this machine\'s addresses'));
      } else if (err.code === 'EACCES') {
        resolve(problem('port', `not allowed to listen on ${where}`, 'use a port above 1023 (--port 18789)'));
      } else {
        resolve(problem('port', `cannot listen on ${where} (${err.code ?? err.message})`, 'choose another --port or --bind'));
      }
    });
    srv.listen({ host: bind, port, exclusive: true }, () => srv.close(() => resolve(ok('port', `${where} is free`))));
  });
}

/** The token, if any, is at least TOKEN_MIN_LENGTH characters with TOKEN_MIN_DISTINCT distinct ones. */
export function checkToken(token: string | undefined, bind: string): CheckResult {
  if (token === undefined) return ok('token', `no token: only clients on this machine can connect (bind ${bind})`);
  const distinct = new Set(token).size;
  if (token.length < TOKEN_MIN_LENGTH) return problem('token', `the token has ${token.length} characters (need ${TOKEN_MIN_LENGTH})`, TOKEN_FIX);
  if (distinct < TOKEN_MIN_DISTINCT) return problem('token', `the token has only ${distinct} distinct characters (need ${TOKEN_MIN_DISTINCT})`, TOKEN_FIX);
  return ok('token', `${token.length} characters, ${distinct} distinct`);
}

/** With `--model openai`: GET <base>/models answers 2xx within a short deadline. */
export async function checkModel(config: GatewayConfig, env: NodeJS.ProcessEnv): Promise<CheckResult> {
  if (config.model !== 'openai') return ok('model', `${config.model}: nothing to reach`);
  const url = `${config.openaiBaseUrl}/models`;
  const key = env.OPENAI_API_KEY?.trim();
  try {
    const res = await fetch(url, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
      signal: AbortSignal.timeout(MODEL_PROBE_TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (res.ok) return ok('model', `${url} answered ${res.status} (model ${config.openaiModel})`);
    if (res.status === 401 || res.status === 403) {
      return problem('model', `${url} refused the API key (HTTP ${res.status})`, 'set a valid OPENAI_API_KEY for this endpoint');
    }
    return problem('model', `${url} answered HTTP ${res.status}`, 'check --openai-base-url (it usually ends in /v1)');
  } catch (err) {
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause?.code ?? (err as Error).name;
    return problem('model', `${url} is not reachable (${cause})`, 'start the model server, or fix --openai-base-url');
  }
}
