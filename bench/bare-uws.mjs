// The baseline for bench/http.ts: a bare uWebSockets.js server (the same package and native binary the
// gateway uses) answering GET /healthz with {"status":"ok"}, nothing else on the request path.
//
//   node bench/bare-uws.mjs [port] [--exit-on-stdin-close]      (port 0 or absent = any free port)
//
// Listens on 127.0.0.1 only and prints one JSON line {"msg":"bare uws ready","port":N} once listening.
// Exits on SIGINT/SIGTERM; with --exit-on-stdin-close also when its stdin closes, so a bench that pipes
// its stdin cannot leave it running even if the bench itself is SIGKILLed.
import { listenUntilStopped, loadNativeUws, parseServerArgs } from './lib/bare-server.mjs';

const uws = loadNativeUws('bare-uws');
const { port, exitOnStdinClose } = parseServerArgs('bare-uws');

const BODY = '{"status":"ok"}';
const app = uws.App()
  .get('/healthz', (res) => {
    res.writeStatus('200 OK').writeHeader('Content-Type', 'application/json').end(BODY);
  })
  .any('/*', (res) => {
    res.writeStatus('404 Not Found').end();
  });

listenUntilStopped(uws, app, { name: 'bare-uws', readyMsg: 'bare uws ready', port, exitOnStdinClose });
