// The baseline for bench/ws.ts: a bare uWebSockets.js WebSocket server (the same package and native binary the
// gateway uses) that does the least a gateway-protocol server has to do, nothing else:
//
//   on open                 send {"type":"event","event":"connect.challenge","payload":{nonce,ts,capabilities:[]}}
//   on a `connect` req      answer {"type":"res","id":…,"ok":true,"payload":{"type":"hello-ok","protocol":4}}
//                           and add the socket to the broadcast set (other frames are ignored)
//   POST /broadcast?b=ID&count=C&bytes=B[&mode=loop]
//                           C times: encode one event ({"type":"event","event":"bench","payload":{"b":ID,"i":i,
//                           "n":C,"ts":…,"pad":"…"},"seq":N}) and publish it with uWS's own app.publish to the
//                           topic every hello'd socket is subscribed to (uWS queues it per subscriber and writes
//                           each socket's frames of the turn in one corked write, in C++). `seq` is one counter
//                           for all sockets: every socket was subscribed before the first broadcast, so it is
//                           each socket's gap-free per-connection seq too. `mode=loop` instead sends
//                           `prefix + seq + "}"` to every socket in a plain JS loop with its own per-connection
//                           seq (one write per frame per socket: the old baseline, for comparison). `bytes` pads
//                           the payload so a frame is about B bytes (default 300, about the gateway's agent/chat
//                           events). Answers {"sockets":N,"count":C,"loopMs":[…per publish or loop…],"frameBytes":…}.
//   GET  /stats             {"open":…,"hello":…}
//   POST /gc                full GC if started with --expose-gc, answers process.memoryUsage()
//   GET  /healthz           {"status":"ok"}
//
//   node bench/bare-ws.mjs [port] [--exit-on-stdin-close]      (port 0 or absent = any free port)
//
// Listens on 127.0.0.1 only and prints one JSON line {"msg":"bare ws ready","port":N} once listening.
// Exits on SIGINT/SIGTERM; with --exit-on-stdin-close also when its stdin closes, so a bench that pipes its
// stdin cannot leave it running even if the bench itself is SIGKILLed.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { listenUntilStopped, loadNativeUws, parseServerArgs } from './lib/bare-server.mjs';

const uws = loadNativeUws('bare-ws');
const { port, exitOnStdinClose } = parseServerArgs('bare-ws');

/** Sockets that got their hello, in a Set like the gateway's hub; user data holds the per-connection seq. */
const hello = new Set();
let open = 0;
/** Publish mode: one seq for every socket (each saw every broadcast since its hello). */
let publishSeq = 0;

const json = (res, status, body) => {
  res.cork(() => res.writeStatus(status).writeHeader('Content-Type', 'application/json').end(JSON.stringify(body)));
};

const app = uws.App()
  .ws('/*', {
    compression: uws.DISABLED,
    maxPayloadLength: 65_536,
    idleTimeout: 0,
    maxBackpressure: 1024 * 1024 * 1024,
    sendPingsAutomatically: false,
    open: (ws) => {
      open++;
      const d = ws.getUserData();
      d.seq = 0;
      d.hello = false;
      ws.send(`{"type":"event","event":"connect.challenge","payload":{"nonce":"${randomUUID()}","ts":${Date.now()},"capabilities":[]}}`, false);
    },
    message: (ws, message) => {
      const d = ws.getUserData();
      if (d.hello) return;
      let frame;
      try {
        frame = JSON.parse(Buffer.from(message).toString('utf8'));
      } catch {
        ws.end(1000, '');
        return;
      }
      if (frame === null || typeof frame !== 'object' || frame.type !== 'req' || frame.method !== 'connect' || typeof frame.id !== 'string') {
        ws.end(1008, 'invalid handshake');
        return;
      }
      d.hello = true;
      hello.add(ws);
      ws.subscribe('bench');
      ws.send(`{"type":"res","id":${JSON.stringify(frame.id)},"ok":true,"payload":{"type":"hello-ok","protocol":4}}`, false);
    },
    close: (ws) => {
      open--;
      hello.delete(ws);
    },
  })
  .post('/broadcast', (res, req) => {
    const q = new URLSearchParams(req.getQuery() ?? '');
    const b = q.get('b') ?? String(Date.now());
    const count = Math.min(1000, Math.max(1, Number(q.get('count') ?? 1) || 1));
    const bytes = Math.min(65_536, Math.max(0, Number(q.get('bytes') ?? 300) || 0));
    const loop = q.get('mode') === 'loop';
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    // the body (if any) is not read: answer after the loops, still inside this handler
    const loopMs = [];
    let frameBytes = 0;
    for (let i = 0; i < count; i++) {
      const head = `{"type":"event","event":"bench","payload":{"b":${JSON.stringify(b)},"i":${i},"n":${count},"ts":${Date.now()},"pad":"`;
      const tail = '"},"seq":';
      const pad = 'x'.repeat(Math.max(0, bytes - head.length - tail.length - 6));
      const prefix = head + pad + tail;
      frameBytes = prefix.length + 6;
      const t0 = performance.now();
      if (!loop) {
        app.publish('bench', `${prefix}${++publishSeq}}`, false);
        loopMs.push(performance.now() - t0);
        continue;
      }
      for (const ws of hello) {
        const d = ws.getUserData();
        ws.send(`${prefix}${++d.seq}}`, false);
      }
      loopMs.push(performance.now() - t0);
    }
    if (!aborted) json(res, '200 OK', { sockets: hello.size, count, loopMs, frameBytes });
  })
  .get('/stats', (res) => json(res, '200 OK', { open, hello: hello.size }))
  // a full GC (when started with --expose-gc), then process.memoryUsage(): the bench reads the live heap
  .post('/gc', (res) => {
    globalThis.gc?.();
    json(res, '200 OK', { ...process.memoryUsage(), gc: typeof globalThis.gc === 'function' });
  })
  .get('/healthz', (res) => json(res, '200 OK', { status: 'ok' }))
  .any('/*', (res) => {
    res.writeStatus('404 Not Found').end();
  });

listenUntilStopped(uws, app, { name: 'bare-ws', readyMsg: 'bare ws ready', port, exitOnStdinClose });
