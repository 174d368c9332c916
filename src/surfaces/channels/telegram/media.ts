import type { Api } from 'grammy';
import type { ChannelClock, InboundMedia, TelegramAccountConfig } from '../../../core/channel.js';

// Inbound media download (spec channels.md TG6): within `media-max-mb`, getFile then one GET of
// `<api-root>/file/bot<token>/<file_path>`, streamed and cut off past the limit, bounded by a timeout.
// Anything else leaves the reference without data, which becomes a placeholder. The file URL carries the
// token: it is never logged, returned or put in an error.

/** The download timeout (TG6). */
export const MEDIA_DOWNLOAD_TIMEOUT_MS = 30_000;

/** Real timers, for callers without an injected clock. */
const systemClock: ChannelClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Options of one download. */
export interface DownloadOptions {
  /** Aborts the download (e.g. the account stops). */
  signal?: AbortSignal;
  /** What the timeout reads (default: real timers). */
  clock?: ChannelClock;
  timeoutMs?: number;
}

/** The media item with its bytes when they could be fetched within the limit; else the reference alone. Never throws. */
export async function downloadMedia(
  api: Api,
  cfg: Pick<TelegramAccountConfig, 'botToken' | 'apiRoot' | 'mediaMaxMb'>,
  media: InboundMedia,
  opts: DownloadOptions = {},
): Promise<InboundMedia> {
  const limit = cfg.mediaMaxMb * 1024 * 1024;
  if (!media.fileId || (media.size !== undefined && media.size > limit)) return media;
  const clock = opts.clock ?? systemClock;
  const controller = new AbortController();
  const abort = () => controller.abort();
  opts.signal?.addEventListener('abort', abort, { once: true });
  const timer = clock.setTimeout(abort, opts.timeoutMs ?? MEDIA_DOWNLOAD_TIMEOUT_MS);
  try {
    const file = await api.getFile(media.fileId, controller.signal as Parameters<Api['getFile']>[1]);
    if (!file.file_path || (file.file_size !== undefined && file.file_size > limit)) return media;
    const data = await fetchWithin(`${cfg.apiRoot}/file/bot${cfg.botToken}/${file.file_path}`, limit, controller);
    return data ? { ...media, size: media.size ?? data.byteLength, data } : media;
  } catch {
    return media; // the placeholder; the error text could carry the URL, so it is not kept
  } finally {
    clock.clearTimeout(timer);
    opts.signal?.removeEventListener('abort', abort);
  }
}

/** The body, or undefined when the answer is not 200 or grows past `limit` (the request is aborted then). */
async function fetchWithin(url: string, limit: number, controller: AbortController): Promise<Uint8Array | undefined> {
  const res = await fetch(url, { signal: controller.signal });
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (res.status !== 200 || !res.body || declared > limit) {
    controller.abort();
    return undefined;
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > limit) {
      controller.abort();
      return undefined;
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}
