import { ConfigError, parseGatewayArgs, type GatewayConfig } from '../config.js';
import { gatewayUsage } from './help.js';
import { missingNodeFlags } from './node-flags.js';

// `clawgate gateway`: run the gateway in the foreground. `npm run build` also bundles this command with everything
// it loads into dist/gateway/ (scripts/build-gateway.mjs), which ./main.ts loads when it is there: a few files
// to read and compile instead of ~400 modules to resolve one by one.

function fail(message: string, code: number): never {
  process.stderr.write(`clawgate: ${message}\n`);
  process.exit(code);
}

/** Parses the flags, starts the gateway and stops it gracefully on SIGTERM / SIGINT. Exit codes: see ./main.ts. */
export async function gateway(args: string[]): Promise<void> {
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
  const [{ createLogger }, { startGateway }, { describeStartupFailure }, { exposedGc, startHeapSettle }] = await Promise.all([
    import('../core/log.js'), import('../main.js'), import('./startup-errors.js'), import('../core/heap-settle.js'),
  ]);
  const log = createLogger(config.logLevel);
  // Signal handlers go in before startup: `gateway ready` is logged while the gateway starts, and a
  // supervisor that stops us right after seeing it must get a graceful stop (exit 0), not a kill.
  let gw: Awaited<ReturnType<typeof startGateway>> | undefined;
  let stopping = false;
  let stopSettle: (() => void) | undefined;
  const close = (g: NonNullable<typeof gw>) => g.close().then(() => {
    stopSettle?.();
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
  // the bin cannot carry node flags (a shebang takes one argument): say which ones this process lacks
  const missing = missingNodeFlags(process.execArgv, process.env.NODE_OPTIONS);
  if (missing.length > 0) {
    log.info({ missing }, 'node runs without some of the flags the gateway is meant to run with: memory after a burst of connections stays higher (npm start and the service units pass them)');
  }
  // with --expose-gc a burst's memory is given back once it is over; without it V8 keeps it until its next
  // full collection
  const gc = exposedGc();
  if (gc) {
    stopSettle = startHeapSettle({
      gc, onCollect: ({ before, after, ms }) => log.debug({ heapCommittedMiB: { before: mib(before), after: mib(after) }, ms: Math.round(ms * 10) / 10 },
        'heap grew in a burst that is over: one full collection'),
    });
  }
  if (stopping) await close(gw);
}

const mib = (bytes: number) => Math.round(bytes / 104_857.6) / 10;
