import type { CheckResult } from './doctor-checks.js';

// `clawgate doctor`: one check per enabled Telegram account of the configuration, calling the Bot API's getMe on
// its api-root with a plain fetch (no grammY in the CLI). The bot token is never printed: every reason is scrubbed.

/** What the check needs of a Telegram account (a `TelegramAccountConfig` fits). */
export interface TelegramProbeTarget {
  accountId: string;
  botToken: string;
  /** Bot API base URL without a trailing slash. */
  apiRoot: string;
}

/** How long getMe may take. */
export const TELEGRAM_PROBE_TIMEOUT_MS = 5_000;

const mapping = (v: unknown): Record<string, unknown> | undefined =>
  (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

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
