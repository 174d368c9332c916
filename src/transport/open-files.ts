import { readFileSync } from 'node:fs';

// The process's open-files soft limit, read once from /proc/self/limits (Linux). The listen pause
// (server.ts) and the default connection limit both size themselves from it.

/**
 * The soft `Max open files` limit of this process, or undefined when it cannot be read (not Linux) or is
 * not a positive number ("unlimited"). `readLimits` returns the text of /proc/self/limits (tests pass one).
 */
export function openFilesSoftLimit(readLimits: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number | undefined {
  try {
    const line = readLimits().split('\n').find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.trim().split(/\s+/)[3]);
    return Number.isFinite(soft) && soft > 0 ? soft : undefined;
  } catch {
    return undefined; // not Linux
  }
}

/** The default connection limit: the open-files soft limit less headroom for files and outbound sockets. */
export function defaultMaxConnections(readLimits?: () => string): number {
  const soft = openFilesSoftLimit(readLimits);
  return soft === undefined ? 4096 : Math.max(16, soft - Math.max(256, Math.floor(soft * 0.03)));
}

/** Free descriptors wanted before listening again after EMFILE: 5% of the open-files limit, 16 to 256. */
export function resumeHeadroom(readLimits?: () => string): number {
  const soft = openFilesSoftLimit(readLimits);
  return soft === undefined ? 64 : Math.min(256, Math.max(16, Math.floor(soft * 0.05)));
}
