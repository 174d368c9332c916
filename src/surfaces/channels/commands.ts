// Step 5 of the inbound pipeline (spec channels.md C5): which messages are chat commands, and the exact
// texts of the command replies. Pure: the pipeline runner acts on the parsed command.
import type { ChannelName, ChannelState } from '../../core/channel.js';

/** The chat commands, in /help and Telegram command-menu order (names match `[a-z0-9_]{1,32}`). */
export const COMMANDS = [
  { name: 'new', description: 'Start a new session (forget the conversation so far)' },
  { name: 'reset', description: 'Same as /new' },
  { name: 'stop', description: 'Stop the running reply and drop queued messages' },
  { name: 'status', description: 'Show this chat\'s session, run and queue' },
  { name: 'whoami', description: 'Show your id and session' },
  { name: 'help', description: 'List the commands' },
  { name: 'activation', description: 'Groups, owners only: reply on mention or always (/activation mention|always)' },
] as const;

/** A chat command's name. */
export type CommandName = (typeof COMMANDS)[number]['name'];

/** A parsed command: its (lower-cased) name and the trimmed text after it. */
export interface ParsedCommand {
  name: CommandName;
  args: string;
}

const NAMES: ReadonlySet<string> = new Set(COMMANDS.map((c) => c.name));
/** `/<name>`, an optional `@<username>`, then nothing or whitespace and arguments. */
const COMMAND_RE = /^\/([A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?(?:\s+([\s\S]*))?$/;

/**
 * Parse a message's text as a command (C5). `undefined` = ordinary text for the model (not `/…`, or an
 * unknown name); `{kind:'otherBot'}` = addressed to another bot (`/status@other_bot`): drop the message.
 * `@<username>` is honoured only when the channel has one (`botUsername`, Telegram), compared case-insensitively.
 */
export function parseCommand(text: string, botUsername?: string): ParsedCommand | { kind: 'otherBot' } | undefined {
  const m = COMMAND_RE.exec(text.trim());
  if (!m) return undefined;
  const [, rawName, username, args = ''] = m;
  if (username !== undefined) {
    // Without a username of our own there is no `/cmd@bot` syntax: the text is just text.
    if (!botUsername) return undefined;
    if (username.toLowerCase() !== botUsername.replace(/^@/, '').toLowerCase()) return { kind: 'otherBot' };
  }
  const name = rawName.toLowerCase();
  if (!NAMES.has(name)) return undefined;
  return { name: name as CommandName, args: args.trim() };
}

/** The `/activation` argument, or undefined when it is neither `mention` nor `always`. */
export function parseActivation(args: string): 'mention' | 'always' | undefined {
  const mode = args.trim().toLowerCase();
  return mode === 'mention' || mode === 'always' ? mode : undefined;
}

/** The `/help` reply: one line per command. */
export function helpText(): string {
  return COMMANDS.map((c) => `/${c.name} - ${c.description}`).join('\n');
}

/** What `/status` reports. */
export interface StatusFacts {
  sessionKey: string;
  /** The running run's id; absent when idle. */
  running?: string;
  queued: number;
  model: string;
  channel: ChannelName;
  accountId: string;
  state: ChannelState;
}

/** The `/status` reply. */
export function statusText(f: StatusFacts): string {
  return [
    `Session: ${f.sessionKey}`,
    f.running ? `Run: running ${f.running}` : 'Run: idle',
    `Queued: ${f.queued}`,
    `Model: ${f.model}`,
    `Channel: ${f.channel}/${f.accountId} ${f.state}`,
  ].join('\n');
}

/** The `/whoami` reply. */
export function whoamiText(f: { channel: ChannelName; accountId: string; senderId: string; sessionKey: string }): string {
  return [`Channel: ${f.channel} (account ${f.accountId})`, `Your id: ${f.senderId}`, `Session: ${f.sessionKey}`].join('\n');
}

/** The `/activation <mode>` reply once the mode is stored. */
export function activationText(mode: 'mention' | 'always'): string {
  return `Activation: ${mode}`;
}
