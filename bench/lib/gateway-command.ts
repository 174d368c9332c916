import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GATEWAY_NODE_FLAGS } from '../../src/cli/node-flags.js';

/** The built CLI the benchmarks start. */
export const CLI = join(fileURLToPath(new URL('../..', import.meta.url)), 'dist/src/cli/main.js');

/**
 * The argv (after `node`) of a gateway as `npm start` and the service units run it: the gateway's Node flags,
 * then `extraNodeArgs` (a profiler, a probe), then `clawgate gateway …args`.
 */
export function gatewayArgv(extraNodeArgs: readonly string[], args: readonly string[]): string[] {
  return [...GATEWAY_NODE_FLAGS, ...extraNodeArgs, CLI, 'gateway', ...args];
}
