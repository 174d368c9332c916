import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as UWS from 'uWebSockets.js';

// uWebSockets.js, native only. The package silently falls back to a slow pure-JS implementation when its
// binary does not load; we require the binary for this platform and ABI ourselves and insist that the
// package handed us that very module.

const require = createRequire(import.meta.url);

/** uWebSockets.js has no native build for this platform, or is running its JS fallback. */
export class NativeTransportError extends Error {}

function loadNative(): typeof UWS {
  const pkg = require('uWebSockets.js') as typeof UWS;
  const binary = join(dirname(require.resolve('uWebSockets.js/package.json')), 'binaries',
    `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`);
  let native: unknown;
  try {
    native = require(binary);
  } catch (err) {
    throw new NativeTransportError(`uWebSockets.js native build does not load on this platform (${binary}): ${(err as Error).message.split('\n')[0]}`);
  }
  if (native !== pkg) {
    throw new NativeTransportError('uWebSockets.js is running its pure-JS fallback (is UWS_USE_FALLBACK set?); refusing to start');
  }
  return pkg;
}

/** The native uWebSockets.js module (loading this module throws NativeTransportError without it). */
export const uws = loadNative();
export type { UWS };
