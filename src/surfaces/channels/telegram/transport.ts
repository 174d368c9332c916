import { type Api, type Bot, GrammyError } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import { type AnyEventObject, type CallbackActorLogic, fromCallback } from 'xstate';
import type { ChannelClock, ChannelMessage, TelegramAccountConfig } from '../../../core/channel.js';
import type { Logger } from '../../../core/log.js';
import { createTelegramAgent, createTelegramApi, createTelegramBot, scrubSecrets } from './bot-api.js';
import { normalizeUpdate } from './normalize.js';

// The account machine's `transport` actor for Telegram (spec channels.md TG1–TG3, TG9): one connect
// attempt per actor. getMe, then either long polling with grammY's `bot.start()` (updates one at a time,
// each handed to the pipeline and awaited, so Telegram confirms an update only after it was committed) or,
// in webhook mode, setWebhook. It reports `transport.online` (polling: once the attempt's first getUpdates,
// asked with timeout 0, succeeded — so a 409 never counts as online), `transport.down {error}` (the machine backs
// off and invokes a new actor) or `transport.fatal {error}` (no retry). Disposal stops the bot; the stop is
// registered in `closing` so the machine's shutdown and the next attempt can await it.

/** The stall watchdog (TG3): no completed getUpdates for this long → down. */
export const POLL_STALL_MS = 120_000;
/** How often the watchdog looks. */
export const POLL_STALL_CHECK_MS = 30_000;
/** How long a stop may take (C1). */
export const STOP_BOUND_MS = 15_000;

/** lastError of a 409 (TG3). */
export const CONFLICT_ERROR = 'getUpdates conflict: another poller or a webhook uses this token';
/** lastError of a 401 (TG1). */
export const UNAUTHORIZED_ERROR = 'unauthorized: check bot-token';

/** The events the transport sends to the account machine. */
export type TelegramTransportEvent =
  | { type: 'transport.online' }
  | { type: 'transport.down'; error: string }
  | { type: 'transport.fatal'; error: string };

/** The log methods the transport uses. */
export type TelegramLog = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** What the transport needs from the account and the pipeline. */
export interface TelegramTransportDeps {
  config: TelegramAccountConfig;
  clock: ChannelClock;
  log: TelegramLog;
  /** The completed update_id watermark of this bot (0 when none). */
  watermark(botId: string): number;
  /** The pipeline: commits the message (or its drop) and advances the watermark in one transaction. */
  handle(update: Update, message: ChannelMessage | undefined, ack: { botId: string; updateId: number }): Promise<void>;
  /** Stops still under way (awaited by the next attempt and by shutdown). */
  closing: Set<Promise<void>>;
  /** Bot id → account id of the running pollers (TG2). */
  botRegistry: Map<string, string>;
  onActivity(): void;
  onBotInfo(info: UserFromGetMe): void;
  setLastError(text: string): void;
}

/** The `transport` actor logic for one Telegram account. */
export function telegramTransport(deps: TelegramTransportDeps): CallbackActorLogic<AnyEventObject> {
  return fromCallback<AnyEventObject>(({ sendBack }) => {
    const attempt = new TelegramAttempt(deps, (e) => sendBack(e));
    void attempt.run();
    return () => attempt.dispose();
  });
}

/** One connect attempt: its bot, its watchdog and its stop. */
class TelegramAttempt {
  private readonly abort = new AbortController();
  /** This attempt's connections only: destroyed when it stops. */
  private readonly agent: ReturnType<typeof createTelegramAgent>;
  private readonly previous: Promise<void>[];
  private disposed = false;
  private reported = false;
  private bot: Bot | undefined;
  private started: Promise<void> | undefined;
  private heldBotId: string | undefined;
  private lastCompletedAt = 0;
  private watchdog: unknown;
  private stopping: Promise<void> | undefined;
  /** A getUpdates of this attempt succeeded (then the account is online). */
  private polling = false;

  constructor(
    private readonly deps: TelegramTransportDeps,
    private readonly send: (e: TelegramTransportEvent) => void,
  ) {
    this.previous = [...deps.closing];
    this.agent = createTelegramAgent(deps.config.apiRoot);
  }

  private scrub(text: string): string {
    return scrubSecrets(text, this.deps.config.botToken);
  }

  /** Reports once; nothing after disposal (the machine has moved on). */
  private report(e: TelegramTransportEvent): void {
    if (this.disposed || this.reported) return;
    if (e.type !== 'transport.online') this.reported = true;
    this.send(e);
  }

  async run(): Promise<void> {
    try {
      await Promise.allSettled(this.previous); // TG2 #56566: the previous bot has stopped and its start settled
      if (this.disposed) return;
      const api = createTelegramApi(this.deps.config, this.agent);
      const me = await this.getMe(api);
      if (!me || this.disposed) return;
      const botId = String(me.id);
      const holder = this.deps.botRegistry.get(botId);
      if (holder !== undefined && holder !== this.deps.config.accountId) {
        return this.report({ type: 'transport.fatal', error: `bot already polled by account ${holder}` });
      }
      this.deps.botRegistry.set(botId, this.deps.config.accountId);
      this.heldBotId = botId;
      this.deps.onBotInfo(me);
      if (this.deps.config.webhook) return await this.setWebhook(api);
      this.poll(me);
    } catch (err) {
      this.report({ type: 'transport.down', error: this.scrub(errorText(err)) });
    }
  }

  private async getMe(api: Api): Promise<UserFromGetMe | undefined> {
    try {
      return await api.getMe(this.abort.signal as Parameters<Api['getMe']>[0]);
    } catch (err) {
      if (err instanceof GrammyError && err.error_code === 401) this.report({ type: 'transport.fatal', error: UNAUTHORIZED_ERROR });
      else this.report({ type: 'transport.down', error: this.scrub(`getMe failed: ${errorText(err)}`) });
      return undefined;
    }
  }

  /** TG9: the webhook is set and stays set when the account stops (Telegram queues updates meanwhile). */
  private async setWebhook(api: Api): Promise<void> {
    const hook = this.deps.config.webhook!;
    try {
      await api.setWebhook(hook.url, { secret_token: hook.secret, allowed_updates: ['message'], drop_pending_updates: false }, this.abort.signal as Parameters<Api['setWebhook']>[2]);
    } catch (err) {
      if (err instanceof GrammyError && err.error_code === 401) return this.report({ type: 'transport.fatal', error: UNAUTHORIZED_ERROR });
      return this.report({ type: 'transport.down', error: this.scrub(`setWebhook failed: ${errorText(err)}`) });
    }
    this.report({ type: 'transport.online' });
  }

  private poll(me: UserFromGetMe): void {
    const { config, log } = this.deps;
    const botId = String(me.id);
    const bot = createTelegramBot(config, me, this.agent);
    this.bot = bot;
    bot.api.config.use(async (prev, method, payload, signal) => {
      if (method !== 'getUpdates') return prev(method, payload, signal);
      // TG1: never below the committed watermark; the confirming call of bot.stop() (the bot no longer runs)
      // confirms exactly what was committed, not an update whose handler is still running.
      const floor = this.deps.watermark(botId) + 1;
      const given = (payload as { offset?: number }).offset ?? 0;
      const running = bot.isRunning();
      const offset = running ? Math.max(given, floor) : floor;
      // The first poll of an attempt answers at once: its success proves no other poller or webhook holds
      // the token, and only then is the account online (a 409 never flips online → backoff → online).
      const probe = running && !this.polling ? { timeout: 0 } : {};
      try {
        const res = await prev(method, { ...payload, offset, ...probe } as typeof payload, signal);
        if (res.ok) {
          this.lastCompletedAt = this.deps.clock.now();
          this.deps.onActivity();
          if (running && !this.polling) {
            this.polling = true;
            this.report({ type: 'transport.online' });
          }
        } else if (res.error_code !== 401 && res.error_code !== 409 && bot.isRunning()) {
          this.deps.setLastError(this.scrub(`getUpdates failed: ${res.error_code}: ${res.description}`));
        }
        return res;
      } catch (err) {
        if (bot.isRunning() && !signal?.aborted) this.deps.setLastError(this.scrub(`getUpdates failed: ${errorText(err)}`));
        throw err;
      }
    });
    const ctx = { accountId: config.accountId, botId, botUsername: me.username, hasTopicsEnabled: me.has_topics_enabled === true, mediaMaxMb: config.mediaMaxMb };
    bot.on('message', async (c) => {
      const migrated = c.message.migrate_to_chat_id;
      if (migrated !== undefined) {
        log.warn({ channel: 'telegram', accountId: config.accountId, chatId: String(c.chat.id), newChatId: String(migrated) },
          `telegram group ${c.chat.id} became supergroup ${migrated}: update the config's groups`);
      }
      await this.deps.handle(c.update, normalizeUpdate(c.update, ctx), { botId, updateId: c.update.update_id });
    });
    // An update whose pipeline failed stays unconfirmed: the loop ends, the machine backs off, Telegram resends it.
    bot.catch((err) => { throw err; });
    this.started = bot.start({
      drop_pending_updates: false,
      allowed_updates: ['message'],
      onStart: () => {
        if (this.disposed) return;
        this.lastCompletedAt = this.deps.clock.now();
        this.armWatchdog();
      },
    }).then(
      () => this.report({ type: 'transport.down', error: 'polling ended' }),
      (err: unknown) => {
        if (err instanceof GrammyError && err.error_code === 409) return this.report({ type: 'transport.down', error: CONFLICT_ERROR });
        if (err instanceof GrammyError && err.error_code === 401) return this.report({ type: 'transport.fatal', error: UNAUTHORIZED_ERROR });
        const text = this.scrub(`polling failed: ${errorText(err)}`);
        log.warn({ channel: 'telegram', accountId: config.accountId, error: text }, 'telegram polling stopped');
        this.report({ type: 'transport.down', error: text });
      },
    );
  }

  private armWatchdog(): void {
    const { clock } = this.deps;
    this.watchdog = clock.setTimeout(() => {
      this.watchdog = undefined;
      if (this.disposed) return;
      if (clock.now() - this.lastCompletedAt < POLL_STALL_MS) return this.armWatchdog();
      void this.stop();
      this.report({ type: 'transport.down', error: 'polling stalled' });
    }, POLL_STALL_CHECK_MS);
  }

  /** The machine left the state: stop everything, registered in `closing`. */
  dispose(): void {
    this.disposed = true;
    void this.stop();
  }

  /** Stops the bot (grammY sends one confirming getUpdates) and awaits its start; bounded; idempotent. */
  private stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    const { clock, closing, botRegistry, config } = this.deps;
    if (this.watchdog !== undefined) clock.clearTimeout(this.watchdog);
    this.watchdog = undefined;
    this.abort.abort();
    const bot = this.bot;
    const started = this.started;
    const work = (async () => {
      if (bot?.isRunning()) await bot.stop().catch(() => undefined);
      await started?.catch(() => undefined);
    })();
    let bound: unknown;
    const stopping: Promise<void> = Promise.race([work, new Promise<void>((r) => { bound = clock.setTimeout(r, STOP_BOUND_MS); })])
      .finally(() => {
        clock.clearTimeout(bound);
        this.agent.destroy();
        closing.delete(stopping);
        if (this.heldBotId !== undefined && botRegistry.get(this.heldBotId) === config.accountId) botRegistry.delete(this.heldBotId);
      });
    this.stopping = stopping;
    closing.add(stopping);
    return stopping;
  }
}

function errorText(err: unknown): string {
  if (err instanceof GrammyError) return `${err.error_code}: ${err.description}`;
  if (err instanceof Error) {
    const cause = (err as { error?: unknown }).error;
    return cause instanceof Error ? `${err.message} ${cause.message}` : err.message;
  }
  return String(err);
}
