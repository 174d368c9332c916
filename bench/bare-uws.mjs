// The baseline for bench/http.ts: a bare uWebSockets.js server (the same package and native binary the
// gateway uses) answering GET /healthz with {"status":"ok"}, nothing else on the request path.
//
//   node bench/bare-uws.mjs [port] [--exit-on-stdin-close]      (port 0 or absent = any free port)
//
// Listens on 127.0.0.1 only and prints one JSON line {"msg":"bare uws ready","port":N} once listening.
// Exits on SIGINT/SIGTERM; with --exit-on-stdin-close also when its stdin closes, so a bench that pipes
// its stdin cannot leave it running even if the bench itself is SIGKILLed.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const uws = require('uWebSockets.js');
// same rule as src/transport/uws.ts: refuse the package's pure-JS fallback, it would make a bogus baseline
const binary = join(dirname(require.resolve('uWebSockets.js/package.json')), 'binaries',
  `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`);
if (require(binary) !== uws) {
  process.stderr.write('bare-uws: uWebSockets.js is not its native build (UWS_USE_FALLBACK set?)\n');
  process.exit(1);
}

const args = process.argv.slice(2);
const exitOnStdinClose = args.includes('--exit-on-stdin-close');
const portArg = args.find((a) => !a.startsWith('--')) ?? '0';
const port = /^\d+$/.test(portArg) ? Number(portArg) : NaN;
if (!Number.isInteger(port) || port > 65535) {
  process.stderr.write(`bare-uws: bad port "${portArg}"\n`);
  process.exit(2);
}

const BODY = '{"status":"ok"}';
const app = uws.App()
  .get('/healthz', (res) => {
    res.writeStatus('200 OK').writeHeader('Content-Type', 'application/json').end(BODY);
  })
  .any('/*', (res) => {
    res.writeStatus('404 Not Found').end();
  });

let listenSocket = null;
app.listen('127.0.0.1', port, (socket) => {
  if (!socket) {
    process.stderr.write(`bare-uws: cannot listen on 127.0.0.1:${port}\n`);
    process.exit(78);
  }
  listenSocket = socket;
  process.stdout.write(`${JSON.stringify({ msg: 'bare uws ready', port: uws.us_socket_local_port(socket) })}\n`);
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
