#!/usr/bin/env node
import { ConfigError, parseGatewayArgs, type GatewayConfig } from '../config.js';

// `clawgate <command>`. Exit codes: 0 ok, 2 bad usage or configuration, 78 (EX_CONFIG) cannot bind the port, the
// state dir is locked by another gateway or unusable, or the database is damaged (cli/startup-errors.ts);
// the owner commands (devices, nodes) also: 1 the gateway answered an error, 69 (EX_UNAVAILABLE) gateway not reachable.

const USAGE = `usage: clawgate gateway [options]

Runs the gateway in the foreground (HTTP data plane on one port; JSON logs on stdout).

  --bind ADDR            listen address (default 127.0.0.1; non-loopback needs --token)
  --port N               port (default 18789)
  --token SECRET         shared secret, at least 32 characters (env OPENCLAW_GATEWAY_TOKEN)
  --state-dir DIR        state directory (default ~/.clawgate)
  --model mock|openai    model (default mock)
  --mock-delay-ms N      mock streams one word per N ms (default 0: whole reply at once)
  --openai-base-url URL  OpenAI-compatible endpoint (default https://api.openai.com/v1;
                         Ollama http://127.0.0.1:11434/v1); key from env OPENAI_API_KEY
  --openai-model NAME    model name sent to the endpoint (default gpt-4o-mini)
  --openai-timeout-ms N  provider deadline for headers and between stream chunks (default 120000)
  --tools a,b            built-in tools offered to the model: time.now, nodes.invoke (default none)
  --enable-parallel-tools  run the tool calls of one model turn concurrently (default: in order)
  --max-tool-steps N     tool rounds per run before the model must answer (default 8)
  --allow-users a,b      only these user ids may run messages
  --require-mention      thread messages need one of the --mention patterns
  --mention "@bot,/agent"  mention patterns (case-sensitive substrings)
  --max-body-bytes N     request body limit (default 12582912)
  --model-catalog a,b    known model aliases; others are refused
  --run-retention-ms N   keep finished runs this long (default 600000)
  --run-retention-max N  keep at most this many finished runs (default 10000)
  --session-idle-ms N    stop an idle session actor after this long (default 10000)
  --sse-keepalive-ms N   SSE keepalive comment period (default 15000)
  --body-timeout-ms N    deadline for reading a request body (default 30000)
  --allow-private-part-urls  let content_parts URLs reach private addresses
  --history-budget-chars N  transcript text sent to the model as history per run (default 24000; 0 = none)
  --recovery rerun|fail  after a crash, run an interrupted run once more, or fail it "interrupted by restart"
                         (default rerun; queued runs always run, a reply already in the transcript is never redone)
  --queue-mode MODE      a message to a busy session: followup (FIFO, default), collect (merge into
                         one next turn) or interrupt (cancel the running run); steer = followup
  --max-queue N          messages that may wait per session; more are refused (default 100)
  --run-timeout-ms N     fail a run still going after N ms (error type timeout); 0 = none (default 600000)
  --allowed-origins a,b  browser origins allowed besides the gateway's own (exact, e.g. https://ui.example)
  --allowed-hosts a,b    Host names the gateway answers to besides loopback and the bind address
                         (names behind a reverse proxy or on the LAN; refused otherwise: DNS rebinding)
  --trusted-proxies a,b  proxies (IPs/CIDRs) whose X-Forwarded-For / Forwarded headers are believed
  --fsync-commits        fsync every database commit (survives power loss, slower)
  --tls-cert FILE        PEM certificate: serve HTTPS and WSS on the same port (with --tls-key; default off)
  --tls-key FILE         PEM private key of --tls-cert (unencrypted)
  --log-level LEVEL      fatal|error|warn|info|debug|trace|silent (default info)
  --shutdown-grace-ms N  on SIGINT/SIGTERM, running runs may finish for N ms, then are cancelled
                         (recorded cancelled, reason shutdown); queued messages run after restart (default 10000)
  --config FILE          JSON or YAML file with the same keys; flags win

Owner commands, against the running gateway (clawgate devices --help, clawgate nodes --help):
  clawgate devices list | approve <requestId> | reject <requestId> | remove <deviceId>
  clawgate nodes list | invoke <nodeId> <command> [json-params]
`;

function fail(message: string, code: number): never {
  process.stderr.write(`clawgate: ${message}\n`);
  process.exit(code);
}

async function gateway(args: string[]): Promise<void> {
  if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
    process.stdout.write(USAGE);
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

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'gateway':
      return gateway(rest);
    case 'devices':
    case 'nodes': {
      // loaded on demand: `clawgate gateway` never pays for the client
      const run = command === 'devices' ? (await import('./devices.js')).devices : (await import('./nodes.js')).nodes;
      process.exitCode = await run(rest); // no process.exit: stdout is flushed and the socket is already closed
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
      process.stdout.write(USAGE);
      return;
    default:
      fail(`unknown command "${command}" (try: clawgate gateway, clawgate devices, clawgate nodes)`, 2);
  }
}

main(process.argv.slice(2)).catch((err) => fail((err as Error).stack ?? String(err), 1));
