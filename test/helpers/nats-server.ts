import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, before } from 'node:test';
import { connect as connectNats, type NatsConnection } from '@nats-io/transport-node';
import { tempDir } from './cli.js';

// A real nats-server (Debian's package, JetStream on) on a free loopback port, for the cluster tests.
// `.ci/run` installs it; on a machine without it, startNatsServer() throws with the apt command to run.

/** A running nats-server and its client URL. */
export interface NatsServer {
  /** `nats://127.0.0.1:<port>` */
  url: string;
  port: number;
  pid: number;
  /** Its JetStream store directory (kept across restart()). */
  storeDir: string;
  /** SIGTERM, wait for exit, remove the store directory. */
  stop(): Promise<void>;
  /** SIGKILL (no cleanup of the store directory), for "NATS went away" tests. */
  kill(): Promise<void>;
  /** Start it again on the same port and store directory (after kill()). */
  restart(): Promise<void>;
}

/** The nats-server binary, or undefined when it is not installed. */
export function natsServerBinary(): string | undefined {
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server']) {
    if (spawnSync(p, ['--version']).status === 0) return p;
  }
  const which = spawnSync('sh', ['-c', 'command -v nats-server']);
  const path = which.stdout?.toString().trim();
  return path ? path : undefined;
}

/**
 * Start `nats-server -js` on 127.0.0.1 with a fresh store directory; resolves once it accepts clients.
 * Pass `port` to reuse a known port (restart after a kill).
 */
export async function startNatsServer(opts: { port?: number; storeDir?: string; timeoutMs?: number } = {}): Promise<NatsServer> {
  const bin = natsServerBinary();
  if (!bin) throw new Error('nats-server is not installed: apt-get install -y --no-install-recommends nats-server');
  const storeDir = opts.storeDir ?? tempDir('clawgate-nats-');
  let child: ChildProcess;
  let port = opts.port ?? -1;
  const launch = async (): Promise<void> => {
    child = spawn(bin, ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    port = await listeningPort(child, opts.timeoutMs ?? 10_000);
  };
  await launch();
  const exited = (): Promise<void> =>
    child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
  const server: NatsServer = {
    get url() {
      return `nats://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get pid() {
      return child.pid ?? -1;
    },
    storeDir,
    async stop() {
      child.kill('SIGTERM');
      await exited();
      rmSync(storeDir, { recursive: true, force: true });
    },
    async kill() {
      child.kill('SIGKILL');
      await exited();
    },
    async restart() {
      await launch();
    },
  };
  return server;
}

/** Resolve with the port from "Listening for client connections on 127.0.0.1:<port>" on stderr. */
function listeningPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => fail(new Error(`nats-server did not listen within ${timeoutMs} ms\n${log}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      const m = /Listening for client connections on [\d.]+:(\d+)/.exec(log);
      if (m) done(Number(m[1]));
    };
    const onExit = (code: number | null): void => fail(new Error(`nats-server exited (${code}) before listening\n${log}`));
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      // keep draining stderr so a chatty server never blocks on a full pipe
      child.stderr?.resume();
    };
    const done = (port: number): void => {
      cleanup();
      resolve(port);
    };
    const fail = (err: Error): void => {
      cleanup();
      child.kill('SIGKILL');
      reject(err);
    };
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** One nats-server for a test file: started before its tests, stopped after them, and the connections opened
 *  with `connect()` closed first. */
export function natsServerPerFile(): { readonly url: string; connect(): Promise<NatsConnection> } {
  let server: NatsServer | undefined;
  const conns: NatsConnection[] = [];
  before(async () => { server = await startNatsServer(); });
  after(async () => {
    await Promise.all(conns.map((c) => c.close()));
    await server?.stop();
  });
  return {
    get url() {
      if (!server) throw new Error('the nats-server starts in before(): use it inside a test');
      return server.url;
    },
    async connect() {
      const nc = await connectNats({ servers: this.url });
      conns.push(nc);
      return nc;
    },
  };
}
