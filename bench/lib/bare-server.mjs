// What the bare uWebSockets.js baselines (bench/bare-uws.mjs, bench/bare-ws.mjs) share: loading the native
// uWS, the command line, and listening/stopping. They must behave alike so the benches can drive them alike.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * uWebSockets.js, or exit 1 if it is not its native build: same rule as src/transport/uws.ts, the package's
 * pure-JS fallback would make a bogus baseline. `name` prefixes the error message.
 */
export function loadNativeUws(name) {
  const uws = require('uWebSockets.js');
  const binary = join(dirname(require.resolve('uWebSockets.js/package.json')), 'binaries',
    `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`);
  if (require(binary) !== uws) {
    process.stderr.write(`${name}: uWebSockets.js is not its native build (UWS_USE_FALLBACK set?)\n`);
    process.exit(1);
  }
  return uws;
}

/** `[port] [--exit-on-stdin-close]` (port 0 or absent = any free port); exit 2 on a bad port. */
export function parseServerArgs(name) {
  const args = process.argv.slice(2);
  const exitOnStdinClose = args.includes('--exit-on-stdin-close');
  const portArg = args.find((a) => !a.startsWith('--')) ?? '0';
  const port = /^\d+$/.test(portArg) ? Number(portArg) : NaN;
  if (!Number.isInteger(port) || port > 65535) {
    process.stderr.write(`${name}: bad port "${portArg}"\n`);
    process.exit(2);
  }
  return { port, exitOnStdinClose };
}

/**
 * Listens on 127.0.0.1:port and prints one JSON line {"msg":readyMsg,"port":N} once listening (exit 78 if it
 * cannot: the bench then retries another port). Stops on SIGINT/SIGTERM; with exitOnStdinClose also when
 * stdin closes, so a bench that pipes our stdin cannot leave us running even if it is SIGKILLed.
 */
export function listenUntilStopped(uws, app, { name, readyMsg, port, exitOnStdinClose }) {
  let listenSocket = null;
  app.listen('127.0.0.1', port, (socket) => {
    if (!socket) {
      process.stderr.write(`${name}: cannot listen on 127.0.0.1:${port}\n`);
      process.exit(78);
    }
    listenSocket = socket;
    process.stdout.write(`${JSON.stringify({ msg: readyMsg, port: uws.us_socket_local_port(socket) })}\n`);
  });

  const stop = () => {
    if (listenSocket) uws.us_listen_socket_close(listenSocket);
    listenSocket = null;
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (exitOnStdinClose) {
    process.stdin.on('end', stop).on('close', stop).on('error', stop);
    process.stdin.resume();
  }
}
