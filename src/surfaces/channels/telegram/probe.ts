import { Api, GrammyError } from 'grammy';
import type { TelegramAccountConfig } from '../../../core/channel.js';
import { scrubSecrets } from './bot-api.js';

// One getMe against the account's api-root, bounded, for `channels.status probe` and `clawgate doctor`.
// No retry: a probe reports what it saw. The error text is scrubbed of the token.

/** What a probe saw. */
export interface TelegramProbeResult {
  ok: boolean;
  elapsedMs: number;
  error?: string;
  bot?: { id: number; username: string };
}

/** getMe within `timeoutMs`; never throws. */
export async function probeTelegram(config: Pick<TelegramAccountConfig, 'botToken' | 'apiRoot'>, timeoutMs: number): Promise<TelegramProbeResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const api = new Api(config.botToken, { apiRoot: config.apiRoot });
    const me = await api.getMe(controller.signal as Parameters<Api['getMe']>[0]);
    return { ok: true, elapsedMs: elapsed(), bot: { id: me.id, username: me.username } };
  } catch (err) {
    const text = controller.signal.aborted
      ? `timed out after ${timeoutMs} ms`
      : err instanceof GrammyError
        ? err.error_code === 401 ? 'unauthorized: check bot-token' : `${err.error_code}: ${err.description}`
        : err instanceof Error ? err.message : String(err);
    return { ok: false, elapsedMs: elapsed(), error: scrubSecrets(text, config.botToken) };
  } finally {
    clearTimeout(timer);
  }
}
