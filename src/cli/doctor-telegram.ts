import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { CheckResult } from './doctor-checks.js';

// `clawgate doctor`: one check per Telegram account of the --config file, calling the Bot API's getMe on its
// api-root with a plain fetch (no grammY in the CLI). The bot token is never printed: every reason is scrubbed.

/** What the check needs of a Telegram account. */
export interface TelegramProbeTarget {
  accountId: string;
  botToken: string;
  /** Bot API base URL without a trailing slash. */
  apiRoot: string;
}

/** How long getMe may take. */
export const TELEGRAM_PROBE_TIMEOUT_MS = 5_000;
const DEFAULT_API_ROOT = 'https://api.telegram.org';

type Raw = Record<string, unknown>;
const mapping = (v: unknown): Raw | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined);
/** A key in its kebab-case or camelCase spelling (the config file accepts both). */
const key = (m: Raw, kebab: string): unknown => m[kebab] ?? m[kebab.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())];
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * The enabled Telegram accounts of a config file's raw `channels.telegram` block: the top level is account
 * `default` (token from the file or env TELEGRAM_BOT_TOKEN), each `accounts` entry inherits `api-root` and
 * `enabled`. A stand-in until doctor reads the resolved `GatewayConfig.channels.telegram` (same fields); an
 * unreadable file or block gives none (the config check reports the file).
 */
export function telegramAccountsFromFile(path: string, env: NodeJS.ProcessEnv = process.env): TelegramProbeTarget[] {
  let doc: unknown;
  try {
    const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
    doc = parse(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
  const tg = mapping(mapping(mapping(doc)?.channels)?.telegram);
  if (!tg) return [];
  const root = (m: Raw, fallback: string) => (str(key(m, 'api-root')) ?? fallback).replace(/\/+$/, '');
  const enabled = (m: Raw, fallback: boolean) => (typeof key(m, 'enabled') === 'boolean' ? key(m, 'enabled') as boolean : fallback);
  const topRoot = root(tg, DEFAULT_API_ROOT);
  const topEnabled = enabled(tg, true);
  const out: TelegramProbeTarget[] = [];
  const topToken = str(key(tg, 'bot-token')) ?? str(env.TELEGRAM_BOT_TOKEN);
  if (topToken && topEnabled) out.push({ accountId: 'default', botToken: topToken, apiRoot: topRoot });
  for (const [accountId, value] of Object.entries(mapping(key(tg, 'accounts')) ?? {})) {
    const a = mapping(value) ?? {};
    const token = str(key(a, 'bot-token'));
    if (token && enabled(a, topEnabled)) out.push({ accountId, botToken: token, apiRoot: root(a, topRoot) });
  }
  return out;
}

/** `text` with the bot token and every `/bot<…>` path segment replaced. */
export function scrubToken(text: string, token: string): string {
  return text.split(token).join('<redacted>').replace(/\/bot[^/\s"']+/g, '/bot<redacted>');
}

/** getMe on the account's api-root: ok with the bot's username and id, else a problem with the (scrubbed) reason. */
export async function checkTelegramAccount(a: TelegramProbeTarget, timeoutMs = TELEGRAM_PROBE_TIMEOUT_MS): Promise<CheckResult> {
  const name = `telegram/${a.accountId}`;
  let reason: string;
  try {
    const res = await fetch(`${a.apiRoot}/bot${a.botToken}/getMe`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = mapping(await res.json().catch(() => undefined));
    const me = mapping(body?.result);
    if (res.ok && body?.ok === true && me) return { check: 'telegram', ok: true, detail: `${name}: bot @${String(me.username)} (id ${String(me.id)})` };
    const description = typeof body?.description === 'string' ? ` ${body.description}` : '';
    reason = `HTTP ${res.status}${description}`;
  } catch (err) {
    const e = err as Error & { cause?: NodeJS.ErrnoException };
    reason = e.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : e.cause?.code ?? e.cause?.message ?? e.message;
  }
  return {
    check: 'telegram', ok: false, detail: `${name}: getMe failed: ${scrubToken(reason, a.botToken)}`,
    fix: reason.startsWith('HTTP 401') || reason.startsWith('HTTP 404')
      ? 'check the bot-token (from @BotFather) of that account, or env TELEGRAM_BOT_TOKEN'
      : 'check api-root and this machine\'s connection to it',
  };
}

/** One check per enabled Telegram account, in the file's order (run concurrently: each is bounded). */
export function checkTelegram(accounts: readonly TelegramProbeTarget[], timeoutMs?: number): Promise<CheckResult[]> {
  return Promise.all(accounts.map((a) => checkTelegramAccount(a, timeoutMs)));
}
