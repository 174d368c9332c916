#!/usr/bin/env node
import { ConfigError, parseGatewayArgs, type GatewayConfig } from '../config.js';
import { gatewayUsage, MAIN_USAGE } from './help.js';

// `clawgate <command>`. Exit codes: 0 ok, 2 bad usage or configuration, 78 (EX_CONFIG) cannot bind the port, the
// state dir is locked by another gateway or unusable, or the database is damaged (cli/startup-errors.ts);
// the owner commands (devices, nodes, channels, pairing, status) also: 1 the gateway answered an error, 69 (EX_UNAVAILABLE) gateway not
// reachable; doctor: 1 problems found. Every --help is generated from the option table (./help.ts).


function fail(message: string, code: number): never {
  process.stderr.write(`clawgate: ${message}\n`);
  process.exit(code);
}

async function gateway(args: string[]): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(gatewayUsage());
    return;
  }
  let config: GatewayConfig;
  try {
    config = parseGatewayArgs(args);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2);
    throw err;
  }
  // loaded after the config is known good, so a bad flag answers fast
  const [{ createLogger }, { startGateway }, { describeStartupFailure }] = await Promise.all([
    import('../core/log.js'), import('../main.js'), import('./startup-errors.js'),
  ]);
  const log = createLogger(config.logLevel);
  // Signal handlers go in before startup: `gateway ready` is logged while the gateway starts, and a
  // supervisor that stops us right after seeing it must get a graceful stop (exit 0), not a kill.
  let gw: Awaited<ReturnType<typeof startGateway>> | undefined;
  let stopping = false;
  const close = (g: NonNullable<typeof gw>) => g.close().then(() => {
    log.flush();
    process.exit(0);
  });
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, graceMs: config.shutdownGraceMs }, 'gateway stopping');
    if (gw) void close(gw); // else: closed as soon as startup finishes
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    gw = await startGateway(config, log);
  } catch (err) {
    const { message, code } = describeStartupFailure(err);
    if (code === 1) log.fatal({ err }, 'gateway failed to start'); // the unexpected: its stack goes to the log
    log.flush();
    fail(message, code);
  }
  if (stopping) await close(gw);
}

const COMMANDS: Record<string, () => Promise<(args: string[]) => Promise<number>>> = {
  devices: async () => (await import('./devices.js')).devices,
  channels: async () => (await import('./channels.js')).channels,
  pairing: async () => (await import('./pairing.js')).pairing,
  nodes: async () => (await import('./nodes.js')).nodes,
  status: async () => (await import('./status.js')).status,
  doctor: async () => (await import('./doctor.js')).doctor,
  service: async () => (await import('./service.js')).service,
};

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'gateway':
      return gateway(rest);
    case 'devices':
    case 'channels':
    case 'pairing':
    case 'nodes':
    case 'status':
    case 'doctor':
    case 'service': {
      // loaded on demand: `clawgate gateway` never pays for the client or the checks
      process.exitCode = await (await COMMANDS[command]())(rest); // no process.exit: stdout is flushed, sockets closed
      return;
    }
    case '--version':
    case 'version': {
      const { VERSION } = await import('../core/version.js');
      process.stdout.write(`${VERSION}\n`);
      return;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(MAIN_USAGE);
      return;
    default:
      fail(`unknown command "${command}" (try: clawgate --help)`, 2);
  }
}

main(process.argv.slice(2)).catch((err) => fail((err as Error).stack ?? String(err), 1));
