import { createHash, timingSafeEqual } from 'node:crypto';
import type { Update } from 'grammy/types';
import { ApiError } from '../../../core/errors.js';
import type { ApiRequest, JsonResponse, Route } from '../../../transport/http-types.js';

// The Telegram webhook route on the gateway's own port (spec channels.md TG9, §7). The transport copies the
// secret header while the uWS request is valid and registers onAborted before any async work; `authorize`
// checks the secret in constant time before a byte of the body is read. Then: at most 1 MiB, JSON with an
// integer update_id, 503 while the account is not online (Telegram retries), the pipeline awaited (steps
// 1–8, never the run), 200. Not behind the gateway bearer: the secret is the credential.

/** The header Telegram sends the webhook secret in. */
export const TELEGRAM_SECRET_HEADER = 'x-telegram-bot-api-secret-token';
/** The largest webhook body accepted (413 above). */
export const TELEGRAM_WEBHOOK_MAX_BYTES = 1024 * 1024;

/** What the webhook route needs. */
export interface TelegramWebhookDeps {
  /** The account's webhook.secret. */
  secret: string;
  isOnline(): boolean;
  /** The pipeline for one update (dedupe included: a repeated update_id is answered 200 and nothing else). */
  handle(update: Update): Promise<void>;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** The POST route for the path of `webhook.url`. */
export function telegramWebhookHandler(deps: TelegramWebhookDeps): Route {
  const expected = digest(deps.secret);
  return {
    method: 'POST',
    readsBody: true,
    anyHost: true, // Telegram addresses the public host name
    headers: [TELEGRAM_SECRET_HEADER],
    authorize(req) {
      // Equal-length digests: timingSafeEqual leaks neither the secret nor its length.
      if (timingSafeEqual(digest(req.header(TELEGRAM_SECRET_HEADER)), expected)) return undefined;
      return { error: new ApiError(401, 'unauthorized', 'wrong webhook secret') };
    },
    async handle(req: ApiRequest): Promise<JsonResponse> {
      if (req.body.byteLength > TELEGRAM_WEBHOOK_MAX_BYTES) {
        throw new ApiError(413, 'invalid_request', `webhook body exceeds ${TELEGRAM_WEBHOOK_MAX_BYTES} bytes`);
      }
      const update = parseUpdate(req.body);
      if (!deps.isOnline()) throw new ApiError(503, 'unavailable', 'telegram account not online', { 'Retry-After': '5' });
      await deps.handle(update);
      return { status: 200, body: '{"ok":true}' };
    },
  };
}

/** A webhook body as an Update: a JSON object with an integer update_id, else 400. */
export function parseUpdate(body: Uint8Array): Update {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new ApiError(400, 'invalid_request', 'webhook body is not JSON');
  }
  const id = (value as { update_id?: unknown } | null)?.update_id;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Number.isSafeInteger(id)) {
    throw new ApiError(400, 'invalid_request', 'webhook body has no integer update_id');
  }
  return value as Update;
}
