// Bounded waiting for tests. Every guard only turns a hang into a failure with a message; nothing here
// asserts a duration (machines are noisy).

/** Resolves after `ms` (a pause between polls, never a timing assertion). */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves on the next macrotask: whatever is already queued (timers at 0, I/O callbacks, microtasks) has run. */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Rejects with `what` unless `p` settles within `ms`. */
export function within<T>(p: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms); }),
  ]);
}

/** Polls `check` (sync or async) every `everyMs` until it holds; fails after `guardMs`, naming `what` (or the check's source). */
export async function until(check: () => boolean | Promise<boolean>, what?: string, guardMs = 20_000, everyMs = 2): Promise<void> {
  const deadline = Date.now() + guardMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${guardMs} ms waiting for ${what ?? String(check)}`);
    await sleep(everyMs);
  }
}
