// The built gateway as a child process with a memory probe: started with --expose-gc and a preload that
// answers over the IPC channel with process.memoryUsage() (after a full GC on request) and the event-loop
// delay seen since the previous reading (perf_hooks.monitorEventLoopDelay). The gateway exits when the
// channel closes, so a dead bench cannot leave it running. Used by bench:soak and bench:storm.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { gatewayArgv } from './gateway-command.js';
import { HOST, startOnFreePort } from './local-server.js';
import { captureOutput, stopChild, track } from './processes.js';


/** One reading of the gateway's memory and event loop. */
export interface ProbeReading {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** Event-loop delay since the previous reading, ms. */
  loopP50Ms: number;
  loopP99Ms: number;
  loopMaxMs: number;
  gc: boolean;
}

const PROBE = `
import { monitorEventLoopDelay } from 'node:perf_hooks';
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
process.on('message', (m) => {
  if (m !== 'mem' && m !== 'mem:gc') return;
  if (m === 'mem:gc') globalThis.gc?.();
  const ms = (ns) => ns / 1e6;
  const body = { ...process.memoryUsage(), loopP50Ms: ms(loop.percentile(50)), loopP99Ms: ms(loop.percentile(99)),
    loopMaxMs: ms(loop.max), gc: typeof globalThis.gc === 'function' };
  loop.reset();
  process.send({ probe: m, body });
});
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
`;

/** A started gateway with its probe. */
export interface ProbedGateway {
  pid: number;
  port: number;
  output: () => string;
  /** Memory and loop delay now; `gc` runs a full GC first. */
  read(gc: boolean): Promise<ProbeReading>;
  stop(): Promise<void>;
}

/** Starts `node --expose-gc dist/src/cli/main.js gateway …extraArgs` on a free loopback port. */
export async function startProbedGateway(stateDir: string, extraArgs: string[] = []): Promise<ProbedGateway> {
  const started = await startOnFreePort((port) => {
    const proc = track(spawn(process.execPath,
      gatewayArgv(['--expose-gc', '--import', `data:text/javascript,${encodeURIComponent(PROBE)}`], ['--bind', HOST,
        '--port', String(port), '--state-dir', stateDir, '--log-level', 'warn', ...extraArgs]),
      { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }));
    return { name: 'gateway', proc, output: captureOutput(proc) };
  }, 15_000);
  const { proc } = started;
  await waitReady(started.port, 15_000, started.output);
  const waiting = new Map<string, (r: ProbeReading) => void>();
  proc.on('message', (raw) => {
    const m = raw as { probe?: string; body?: ProbeReading } | null;
    if (m && typeof m.probe === 'string' && m.body) waiting.get(m.probe)?.(m.body);
  });
  const read = (gc: boolean) => new Promise<ProbeReading>((resolve, reject) => {
    const key = gc ? 'mem:gc' : 'mem';
    const t = setTimeout(() => reject(new Error(`gateway probe did not answer ${key} within 30 s`)), 30_000);
    waiting.set(key, (r) => {
      clearTimeout(t);
      waiting.delete(key);
      resolve(r);
    });
    proc.send(key);
  });
  return { pid: proc.pid!, port: started.port, output: started.output, read, stop: () => stopChild(proc) };
}

/** Polls GET /readyz until a 200 (both planes up): /healthz, which startOnFreePort waits for, comes first. */
async function waitReady(port: number, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://${HOST}:${port}/readyz`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not yet
    }
    await sleep(20);
  }
  throw new Error(`the gateway was not ready within ${timeoutMs} ms:\n${output()}`);
}

/** Bytes as MiB, one decimal. */
export const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
