// Child processes of a bench: one registry per bench process, so that every exit path (normal end, error,
// signal, watchdog) can SIGKILL whatever is still running and no server or client outlives the bench.
import type { ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();

/** Registers a child for killAllNow(); it leaves the registry by itself when it exits. */
export function track(proc: ChildProcess): ChildProcess {
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}

/** SIGKILL every tracked child: the last resort on exit paths, where nothing may be awaited. */
export function killAllNow(): void {
  for (const proc of children) {
    try {
      proc.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}

/** Resolves once the child has exited (at once if it already has). */
export function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => proc.once('exit', () => resolve()));
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopChild(proc: ChildProcess, graceMs = 2000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Keeps the last 4000 characters of the child's stdout+stderr, for error messages when it fails. */
export function captureOutput(proc: ChildProcess): () => string {
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  return () => tail.trim();
}

/**
 * The port from the child's ready line ({"msg":"… ready","port":N} on stdout, as the bare baselines print
 * it): they listen on port 0, so the line is the only way to learn where. Rejects if the child exits first
 * or says nothing within `timeoutMs`.
 */
export function waitReadyPort(proc: ChildProcess, name: string, output: () => string, timeoutMs = 10_000): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not report its port within ${timeoutMs / 1000} s:\n${output()}`)), timeoutMs);
    proc.stdout!.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      const m = /"port":(\d+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (code ${code}, signal ${signal}):\n${output()}`));
    });
  });
}
