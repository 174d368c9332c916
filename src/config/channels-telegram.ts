import type { TelegramAccountConfig } from '../core/channel.js';
import { accountLayers, commonSettings, completeAccount, type AccountLayer, type CommonSettings } from './channel-accounts.js';
import { readChoice, readKeys, type KeyPath } from './channel-keys.js';
import { ConfigError } from './gateway-config.js';

// `channels.telegram` (spec channels.md §2.2–2.4): the bot token (config, or env TELEGRAM_BOT_TOKEN for account
// `default`), the Bot API root, streaming, and webhook mode on the gateway's own port. Tokens and webhook secrets
// never appear in a message.

const TELEGRAM_KEYS = ['bot-token', 'api-root', 'webhook', 'streaming'] as const;
const BOT_TOKEN = /^(\d+):[A-Za-z0-9_-]+$/;
const WEBHOOK_SECRET = /^[A-Za-z0-9_-]{1,256}$/;
const DEFAULT_API_ROOT = 'https://api.telegram.org';
/** Paths the gateway itself answers (src/surfaces/http/routes.ts, metrics.ts; the WS plane's reserved prefixes). */
const GATEWAY_PATHS = ['/', '/health', '/healthz', '/ready', '/readyz', '/metrics'];
const GATEWAY_PREFIXES = ['/v1/', '/__openclaw__', '/__clawgate__'];

/** The Telegram settings one layer gives (absent = not given there). */
interface TelegramSettings {
  botToken?: string;
  apiRoot?: string;
  streaming?: 'partial' | 'off';
  webhook?: { url: string; path: string; secret: string };
}

/**
 * The accounts of `channels.telegram`: `default` (when the top level has a token, from the file or `env`'s
 * TELEGRAM_BOT_TOKEN) and each `accounts` entry (its own token; the other keys inherited). Disabled accounts are
 * kept (with an empty token when none is given); enabled ones need a token, all tokens distinct bots, all webhook
 * paths distinct.
 */
export function telegramAccounts(block: unknown, file: string, env: NodeJS.ProcessEnv): TelegramAccountConfig[] {
  const { top, accounts } = accountLayers('telegram', block, file, TELEGRAM_KEYS);
  const topCommon = commonSettings('telegram', top, file);
  const topOwn = telegramSettings(top, file);
  const layers = accounts.map((layer) => ({ layer, common: commonSettings('telegram', layer, file), own: telegramSettings(layer, file) }));

  const resolved: { account: TelegramAccountConfig; path: string }[] = [];
  const envToken = env.TELEGRAM_BOT_TOKEN?.trim() || undefined;
  if (topOwn.botToken === undefined && envToken !== undefined && !BOT_TOKEN.test(envToken)) {
    throw new ConfigError('env TELEGRAM_BOT_TOKEN does not look like a bot token (<digits>:<secret>)');
  }
  const topToken = topOwn.botToken ?? envToken;
  const topEnabled = topCommon.enabled ?? true;
  if (topToken !== undefined || (layers.length === 0 && !topEnabled)) {
    const tokenSource = topOwn.botToken === undefined && envToken !== undefined ? 'env' : 'config';
    resolved.push({ account: telegramAccount(top, topCommon, {}, topOwn, topToken ?? '', tokenSource), path: top.path });
  } else if (layers.length === 0) {
    throw new ConfigError('channels.telegram: no bot-token (set bot-token or env TELEGRAM_BOT_TOKEN, or enabled: false)');
  }
  for (const { layer, common, own } of layers) {
    const account = telegramAccount(layer, topCommon, common, { apiRoot: topOwn.apiRoot, streaming: topOwn.streaming, ...own }, own.botToken ?? '', 'config');
    if (account.enabled && own.botToken === undefined) throw new ConfigError(`${layer.path}: no bot-token (set bot-token, or enabled: false)`);
    resolved.push({ account, path: layer.path });
  }
  distinctBotsAndPaths(resolved);
  return resolved.map((r) => r.account);
}

function telegramAccount(
  layer: AccountLayer, inherited: CommonSettings, common: CommonSettings,
  own: TelegramSettings, botToken: string, tokenSource: 'config' | 'env',
): TelegramAccountConfig {
  const base = completeAccount('telegram', layer.accountId, layer.path, inherited, common);
  return {
    ...base,
    botToken,
    tokenSource,
    apiRoot: own.apiRoot ?? DEFAULT_API_ROOT,
    streaming: own.streaming ?? 'partial',
    ...(own.webhook ? { webhook: own.webhook } : {}),
  };
}

function telegramSettings(layer: AccountLayer, file: string): TelegramSettings {
  const s: TelegramSettings = {};
  const at = (key: string) => `${layer.path}.${key}`;
  for (const [key, value] of layer.keys) {
    switch (key) {
      case 'bot-token': s.botToken = botToken(value, at(key)); break;
      case 'api-root': s.apiRoot = apiRoot(value, at(key)); break;
      case 'streaming': s.streaming = readChoice(value, at(key), ['partial', 'off'] as const); break;
      case 'webhook': s.webhook = webhook(value, { path: at(key), file }); break;
    }
  }
  return s;
}

function botToken(value: unknown, path: string): string {
  const token = typeof value === 'string' ? value.trim() : '';
  if (!BOT_TOKEN.test(token)) throw new ConfigError(`${path} does not look like a bot token (<digits>:<secret>)`);
  return token;
}

/** An http(s) base URL without `/bot…` (grammY appends `/bot<token>/<method>`), trailing slashes removed. */
function apiRoot(value: unknown, path: string): string {
  const raw = typeof value === 'string' ? value.trim() : '';
  const refused = () => new ConfigError(`${path} must be an http(s) URL without /bot<token> (got ${JSON.stringify(scrubUrl(String(value)))})`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refused();
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || /\/bot/i.test(url.pathname) || url.search !== '' || url.hash !== '') throw refused();
  return raw.replace(/\/+$/, '');
}

function webhook(value: unknown, at: KeyPath): NonNullable<TelegramSettings['webhook']> {
  const keys = readKeys(value, at, ['url', 'secret']);
  const url = httpsUrl(keys.get('url'));
  if (!url) throw new ConfigError(`${at.path}.url must be an https URL`);
  const path = url.pathname;
  if (isGatewayRoute(path)) throw new ConfigError(`${at.path}.url path ${path} is already a gateway route`);
  const secret = keys.get('secret');
  if (typeof secret !== 'string' || !WEBHOOK_SECRET.test(secret)) throw new ConfigError(`${at.path}.secret must be 1-256 characters of A-Z a-z 0-9 _ -`);
  return { url: url.href, path, secret };
}

function httpsUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value.trim());
    return url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

function isGatewayRoute(path: string): boolean {
  const p = path.length > 1 ? path.replace(/\/+$/, '') || '/' : path;
  return GATEWAY_PATHS.includes(p) || p === '/v1' || GATEWAY_PREFIXES.some((prefix) => p.startsWith(prefix));
}

/** Two accounts on one bot would fight over its updates (409); two webhooks on one path cannot be told apart. */
function distinctBotsAndPaths(resolved: { account: TelegramAccountConfig; path: string }[]): void {
  const bots = new Map<string, string>();
  const hooks = new Map<string, string>();
  for (const { account, path } of resolved) {
    const botId = BOT_TOKEN.exec(account.botToken)?.[1];
    if (botId !== undefined) {
      const other = bots.get(botId);
      if (other !== undefined) throw new ConfigError(`${path}.bot-token is the same bot as account "${other}"`);
      bots.set(botId, account.accountId);
    }
    if (account.webhook) {
      const other = hooks.get(account.webhook.path);
      if (other !== undefined) throw new ConfigError(`${path}.webhook.url path ${account.webhook.path} is already used by account "${other}"`);
      hooks.set(account.webhook.path, account.accountId);
    }
  }
}

/** A URL as a message may show it: no `/bot<token>`, no credentials. */
function scrubUrl(url: string): string {
  return url.replace(/\/bot\d+:[A-Za-z0-9_-]+/gi, '/bot<redacted>').replace(/\/\/[^/@]*@/, '//<redacted>@');
}
