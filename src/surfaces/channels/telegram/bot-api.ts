import http from 'node:http';
import https from 'node:https';
import { autoRetry } from '@grammyjs/auto-retry';
import { Api, type ApiClientOptions, Bot, type Transformer } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { TelegramAccountConfig } from '../../../core/channel.js';

// grammY's Api and Bot for one Telegram account, always pointed at the account's `apiRoot`. Auto-retry
// covers only the idempotent calls (spec channels.md TG4): sends, edits and chat actions are the outbox's
// to retry, and getUpdates is grammY's own loop.

/** The Bot API calls auto-retry may repeat (TG4). */
export const RETRIED_METHODS: ReadonlySet<string> = new Set(['getMe', 'setWebhook', 'deleteWebhook', 'setMyCommands', 'getFile']);

/** What building an Api needs of an account. */
export type TelegramApiConfig = Pick<TelegramAccountConfig, 'botToken' | 'apiRoot'>;

/** auto-retry for RETRIED_METHODS only; rethrowHttpErrors, else network errors are retried for ever. */
export function idempotentRetry(): Transformer {
  const retry = autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 60, rethrowHttpErrors: true });
  return (prev, method, payload, signal) =>
    RETRIED_METHODS.has(method) ? retry(prev, method, payload, signal) : prev(method, payload, signal);
}

/**
 * A keep-alive agent of one's own. grammY otherwise shares one agent per api-root for the whole process, so
 * a new attempt could reuse the connection of a conflicting poll (#69787) and a stopped account would keep
 * idle sockets open; the transport destroys its agent when the attempt stops.
 */
export function createTelegramAgent(apiRoot: string): http.Agent {
  return apiRoot.startsWith('https:') ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
}

function clientOptions(config: TelegramApiConfig, agent: http.Agent | undefined): ApiClientOptions {
  return { apiRoot: config.apiRoot, ...(agent ? { baseFetchConfig: { agent, compress: true } } : {}) };
}

/** An Api for the account (sends bypass the retry; see RETRIED_METHODS), on `agent` when given. */
export function createTelegramApi(config: TelegramApiConfig, agent?: http.Agent): Api {
  // a send that hangs ends as `ambiguous` (never resent) after a minute instead of grammY's 500 s default
  const api = new Api(config.botToken, { ...clientOptions(config, agent), timeoutSeconds: 60 });
  api.config.use(idempotentRetry());
  return api;
}

/** A fresh Bot for one polling attempt: botInfo from this connect's getMe, so grammY calls no getMe itself. */
export function createTelegramBot(config: TelegramApiConfig, botInfo: UserFromGetMe, agent?: http.Agent): Bot {
  const bot = new Bot(config.botToken, { botInfo, client: clientOptions(config, agent) });
  bot.api.config.use(idempotentRetry());
  return bot;
}

/** A Telegram bot token anywhere in a text (`<digits>:<35 url-safe chars>`). */
const BARE_TOKEN = /\b\d{3,}:[A-Za-z0-9_-]{30,}/g;
/** A token inside a Bot API or file path. */
const PATH_TOKEN = /\/bot\d+:[^/\s'"?#]+/g;

/**
 * The text with bot tokens removed: `/bot<digits>:<secret>` becomes `/bot<redacted>`, and the bare token
 * (the given one, and anything token-shaped) becomes `<redacted>`. Every string leaving the adapter
 * (errors, lastError, log lines) passes it.
 */
export function scrubSecrets(text: string, token?: string): string {
  let out = text.replace(PATH_TOKEN, '/bot<redacted>');
  if (token) out = out.split(token).join('<redacted>');
  return out.replace(BARE_TOKEN, '<redacted>');
}
