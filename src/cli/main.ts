#!/usr/bin/env node
import { statSync } from 'node:fs';

// `clawgate <command>`. Exit codes: 0 ok, 2 bad usage or configuration, 78 (EX_CONFIG) cannot bind the port, the
// state dir is locked by another gateway or unusable, or the database is damaged (cli/startup-errors.ts);
// the owner commands (devices, nodes, channels, pairing, status) also: 1 the gateway answered an error, 69 (EX_UNAVAILABLE) gateway not
// reachable; doctor: 1 problems found. Every --help is generated from the option table (./help.ts).
// Nothing is imported up front: each command loads what it needs, so `clawgate gateway` pays only for the gateway.

function fail(message: string, code: number): never {
  process.stderr.write(`clawgate: ${message}\n`);
  process.exit(code);
}

/** The built bundle of the gateway command (scripts/build-gateway.mjs), from dist/src/cli/. */
const GATEWAY_BUNDLE = new URL('../../gateway/gateway.js', import.meta.url);

/**
 * `clawgate gateway`: the bundle when it was built after the modules it bundles (`npm run build`), else the
 * module itself (running from src/ with tsx, or after a bare `tsc`).
 */
async function loadGateway(): Promise<typeof import('./gateway.js')> {
  const bundled = statSync(GATEWAY_BUNDLE, { throwIfNoEntry: false });
  const compiled = statSync(new URL('./gateway.js', import.meta.url), { throwIfNoEntry: false });
  if (bundled && compiled && bundled.mtimeMs >= compiled.mtimeMs) return import(GATEWAY_BUNDLE.href) as Promise<typeof import('./gateway.js')>;
  return import('./gateway.js');
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
      return (await loadGateway()).gateway(rest);
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
      process.stdout.write((await import('./help.js')).MAIN_USAGE);
      return;
    default:
      fail(`unknown command "${command}" (try: clawgate --help)`, 2);
  }
}

main(process.argv.slice(2)).catch((err) => fail((err as Error).stack ?? String(err), 1));
