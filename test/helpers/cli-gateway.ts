import { assertBuilt, CliProcess, tempDir } from './cli.js';
import { FuzzSocket } from './fuzz-socket.js';
import { until } from './wait.js';

// The built CLI as a live gateway in its own process, so a test can tell "answered with an error" from "the
// process died", or kill it and start it again on the same state dir. `gateway ready` is logged before the
// WS plane has loaded (upgrades get 503 until then), so both starters also wait for the gateway to be usable.
// Stop them with killAll() from ./cli.js.

/** A CLI gateway process and its base URL. */
export interface CliGateway {
  proc: CliProcess;
  url: string;
}

/** A CLI gateway with a fresh state dir, once a WS upgrade succeeds. */
export async function startCliGateway(token: string): Promise<{ proc: CliProcess; port: number }> {
  assertBuilt();
  const proc = new CliProcess(['gateway', '--port', '0', '--state-dir', tempDir('clawgate-hostile-'), '--token', token, '--log-level', 'info']);
  const port = await proc.ready();
  for (let attempt = 0; ; attempt++) {
    const s = await FuzzSocket.open(port, 'startup probe').catch((err: Error) => err);
    if (s instanceof FuzzSocket) {
      await s.end();
      return { proc, port };
    }
    if (attempt === 100) throw s;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A CLI gateway on `stateDir` (kept across restarts), once `/readyz` answers 200; fails if the process exits
 * first or after `guardMs`.
 */
export async function startCliGatewayOn(stateDir: string, token: string, extra: string[] = [], guardMs = 10_000): Promise<CliGateway> {
  const proc = new CliProcess(['gateway', '--port', '0', '--state-dir', stateDir, '--token', token, ...extra]);
  const url = `http://127.0.0.1:${await proc.ready(guardMs)}`;
  await until(async () => {
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    if (res?.status === 200) return true;
    if (!proc.running) throw new Error(`gateway exited before it was ready\n${proc.stderr}`);
    return false;
  }, `${url}/readyz to answer 200`, guardMs, 20);
  return { proc, url };
}
