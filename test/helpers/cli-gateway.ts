import { assertBuilt, CliProcess, tempDir } from './cli.js';
import { FuzzSocket } from './fuzz-socket.js';

// The built CLI as a live gateway in its own process, so a test can tell "answered with an error" from "the
// process died". `gateway ready` is logged before the WS plane has loaded (upgrades get 503 until then), so
// this also waits until an upgrade succeeds. Stop it with killAll() from ./cli.js.

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
