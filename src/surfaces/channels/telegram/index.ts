// The Telegram adapter's public face, one module so the channel manager can load grammY lazily
// (`await import(…/telegram/index.js)` only when a Telegram account is enabled, spec channels.md §1.8).
export { createTelegramAgent, createTelegramApi, createTelegramBot, RETRIED_METHODS, scrubSecrets } from './bot-api.js';
export { commandMenuHash, syncCommandMenu, type BotCommandEntry, type MenuHashStore } from './commands-menu.js';
export { downloadMedia, MEDIA_DOWNLOAD_TIMEOUT_MS } from './media.js';
export { normalizeUpdate, type NormalizeContext } from './normalize.js';
export { probeTelegram, type TelegramProbeResult } from './probe.js';
export { classifySendError, escapeTelegramHtml, TelegramSender, type TelegramSenderDeps } from './sender.js';
export {
  CONFLICT_ERROR, POLL_STALL_CHECK_MS, POLL_STALL_MS, STOP_BOUND_MS, telegramTransport, UNAUTHORIZED_ERROR,
  type TelegramLog, type TelegramTransportDeps, type TelegramTransportEvent,
} from './transport.js';
export { parseUpdate, TELEGRAM_SECRET_HEADER, TELEGRAM_WEBHOOK_MAX_BYTES, telegramWebhookHandler, type TelegramWebhookDeps } from './webhook.js';
