import { toQueueMode, WIRE_QUEUE_MODES } from '../core/queue-mode.js';
import { ConfigError, type GatewayConfig } from './gateway-config.js';
import { DEFAULTS } from './options.js';
import type { OptionReader } from './reader.js';

// Which messages are taken (user allowlist, mention rules) and what happens to them in a busy session
// (queue mode, queue bound) and after a crash (recovery).

/** `--allow-users`, `--require-mention` and `--mention`. */
export function messageFilters(o: OptionReader): Pick<GatewayConfig, 'allowUsers' | 'requireMention' | 'mentionPatterns'> {
  // An all-blank --allow-users list (",,") means "no allowlist", as with the tRPC binary's -allow-users.
  const allowRaw = o.raw['allow-users'];
  let allowUsers = o.list('allow-users');
  if (allowUsers && allowUsers.length === 0 && Array.isArray(allowRaw) && allowRaw.length > 0) allowUsers = undefined;

  const mentionPatterns = o.list('mention') ?? [];
  const requireMention = o.bool('require-mention') ?? false;
  if (requireMention && mentionPatterns.length === 0) throw new ConfigError('gateway: require mention enabled without patterns');
  return { allowUsers, requireMention, mentionPatterns };
}

/** `--recovery`: rerun or fail a run the crash interrupted. */
export function recoveryMode(o: OptionReader): GatewayConfig['recovery'] {
  const recovery = o.str('recovery') ?? DEFAULTS.recovery;
  if (recovery !== 'rerun' && recovery !== 'fail') throw new ConfigError(`--recovery must be "rerun" or "fail", got "${recovery}"`);
  return recovery;
}

/** `--queue-mode` (a wire spelling, trimmed) and `--max-queue` (at least 1). */
export function queueRules(o: OptionReader): Pick<GatewayConfig, 'queueMode' | 'maxQueue'> {
  const queueModeRaw = o.str('queue-mode') ?? DEFAULTS.queueMode;
  const queueMode = toQueueMode(queueModeRaw.trim());
  if (!queueMode) throw new ConfigError(`--queue-mode must be one of ${WIRE_QUEUE_MODES.join(', ')} (got "${queueModeRaw}")`);
  const maxQueue = o.int('max-queue') ?? DEFAULTS.maxQueue;
  if (maxQueue < 1) throw new ConfigError('--max-queue must be at least 1');
  return { queueMode, maxQueue };
}
