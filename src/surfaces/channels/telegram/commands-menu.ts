import { createHash } from 'node:crypto';
import type { Api } from 'grammy';
import { scrubSecrets } from './bot-api.js';
import type { TelegramLog } from './transport.js';

// The bot's command menu (spec channels.md TG10): setMyCommands only when the list changed since the last
// successful registration (its hash is kept in channel_meta), because re-registering on every restart
// earned a 429 lockout (#32017). A failure is logged and never thrown: it must not block polling.

/** One menu entry (name matches `[a-z0-9_]{1,32}`). */
export interface BotCommandEntry {
  command: string;
  description: string;
}

/** Where the hash of the registered list lives (channel_meta `command-menu`). */
export interface MenuHashStore {
  get(): string | undefined;
  set(v: string): void;
}

/** The hash of a command list (order matters: it is the menu's order). */
export function commandMenuHash(commands: readonly BotCommandEntry[]): string {
  return createHash('sha256').update(JSON.stringify(commands.map((c) => [c.command, c.description]))).digest('hex');
}

/** Registers the menu when its hash differs from the stored one; resolves `true` when setMyCommands ran and succeeded. */
export async function syncCommandMenu(api: Api, commands: readonly BotCommandEntry[], meta: MenuHashStore, log: TelegramLog): Promise<boolean> {
  const hash = commandMenuHash(commands);
  try {
    if (meta.get() === hash) return false;
    await api.setMyCommands(commands.map((c) => ({ command: c.command, description: c.description })));
    meta.set(hash);
    return true;
  } catch (err) {
    log.warn({ channel: 'telegram', error: scrubSecrets(err instanceof Error ? err.message : String(err), api.token) }, 'telegram command menu not registered');
    return false;
  }
}
