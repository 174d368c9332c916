// Starting a server under test on loopback: pick a free port, then poll /healthz until it answers, failing
// fast (with the child's output) if the child dies first. Shared by the gateway and the bare baselines.
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const HOST = '127.0.0.1';

/** A port that was free a moment ago (another process may take it before the child binds: exit code 78). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** The child exited before it answered; `code` lets the caller retry a lost port race (78 = cannot bind). */
export class ChildExit extends Error {
  constructor(readonly code: number | null, message: string) {
    super(message);
  }
}

export interface Starting {
  name: string;
  proc: ChildProcess;
  output: () => string;
}

/** Polls GET /healthz every 20 ms until a 200; throws ChildExit if the child exits, Error after `timeoutMs`. */
export async function waitHealthy(server: Starting, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const url = `http://${HOST}:${port}/healthz`;
  while (Date.now() < deadline) {
    if (server.proc.exitCode !== null || server.proc.signalCode !== null) {
      throw new ChildExit(server.proc.exitCode, `${server.name} exited (code ${server.proc.exitCode}, signal ${server.proc.signalCode}) before answering:\n${server.output()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(500) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
  throw new Error(`${server.name} did not answer ${url} within ${timeoutMs} ms:\n${server.output()}`);
}

/**
 * Spawns a server on a free port (`spawnAt`) and waits for its /healthz. freePort() cannot reserve the port,
 * so when the child exits 78 (cannot bind: taken in between) it tries another one, 3 attempts in all.
 */
export async function startOnFreePort<S extends Starting>(spawnAt: (port: number) => S, timeoutMs: number): Promise<S & { port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const server = spawnAt(port);
    try {
      await waitHealthy(server, port, timeoutMs);
      return { ...server, port };
    } catch (err) {
      if (err instanceof ChildExit && err.code === 78 && attempt < 3) continue;
      throw err;
    }
  }
}
