import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import WebSocket from 'ws';
import { startServer, type ListeningServer } from '../../src/transport/server.js';
import { Router } from '../../src/transport/router.js';
import type { WsEndpoint, WsSocket } from '../../src/transport/ws-endpoint.js';
import { encodeEvent } from '../../protocol/encode.js';

// How the transport writes WebSocket frames: what a socket is sent during one turn of the event loop goes out in
// order, in one write at the end of the turn (a write per frame cost a syscall per frame per socket), and a
// close sent after frames never overtakes them. Asserted from outside, on the TCP chunks a client reads.

const WAIT_MS = 5_000;
/** Seqs of one digit count share a buffer (rewritten per frame); the count changes in between. */
const NUMBERS = [9, 10, 11, 99, 100, 7, 1000, 123_456_789_012];
let server: ListeningServer;
let url: string;

/** On `burst <n>` (handled on a timer, as run events arrive outside any uWS callback) sends n numbered frames;
 *  on `close <n>` sends n frames then closes 4000; on `seq` one event spliced with several seqs (NUMBERS),
 *  each behind a text frame. */
const endpoint: WsEndpoint<undefined, WsSocket> = {
  maxPayload: 1024,
  upgrade: () => ({ accept: undefined }),
  open: (socket) => socket,
  message: (socket, text) => {
    const [verb, count] = text.split(' ');
    setTimeout(() => {
      if (verb === 'seq') {
        const event = encodeEvent('tick', { note: 'ünïcode ✓' });
        for (const n of NUMBERS) {
          socket.send(`text ${n}`);
          socket.sendNumbered(event, n);
        }
        return;
      }
      for (let i = 1; i <= Number(count); i++) socket.send(`frame ${i} ${'x'.repeat(100)}`);
      if (verb === 'close') socket.end(4000, 'done');
    }, 5);
  },
  close: () => {},
};

before(async () => {
  const router = new Router().ws('/', endpoint, { prefix: true });
  server = await startServer({ bind: '127.0.0.1', port: 0, router, maxBodyBytes: 1024, bodyTimeoutMs: 5_000, log: pino({ level: 'silent' }), warnings: { warn: () => {} } });
  url = `ws://127.0.0.1:${server.port}/`;
});
after(() => server.close());

async function connected(): Promise<{ ws: WebSocket; frames: string[]; chunks: () => number }> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const frames: string[] = [];
  ws.on('message', (d, isBinary) => frames.push(isBinary ? `binary ${d.toString()}` : d.toString()));
  let chunks = 0;
  (ws as unknown as { _socket: NodeJS.EventEmitter })._socket.prependListener('data', () => { chunks++; });
  return { ws, frames, chunks: () => chunks };
}

async function until(ok: () => boolean, what: string): Promise<void> {
  const end = Date.now() + WAIT_MS;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('frames sent to a socket in one turn arrive in order, in one TCP write', async () => {
  const c = await connected();
  c.ws.send('burst 20');
  await until(() => c.frames.length === 20, '20 frames');
  assert.deepEqual(c.frames.map((f) => f.split(' ')[1]), Array.from({ length: 20 }, (_, i) => String(i + 1)));
  assert.equal(c.chunks(), 1, 'the 20 frames (2.2 KB) came in one write');
  c.ws.close();
});

test('a close after frames of the same turn comes after them', async () => {
  const c = await connected();
  const closed = new Promise<number>((resolve) => c.ws.once('close', (code) => resolve(code)));
  c.ws.send('close 5');
  assert.equal(await closed, 4000);
  assert.deepEqual(c.frames.map((f) => f.split(' ')[1]), ['1', '2', '3', '4', '5']);
});

test('an event spliced with a number per frame arrives as text frames, each with its own seq, in order with the others', async () => {
  const c = await connected();
  c.ws.send('seq');
  await until(() => c.frames.length === NUMBERS.length * 2, 'the frames');
  const expected = NUMBERS.flatMap((n) => [`text ${n}`, JSON.stringify({ type: 'event', event: 'tick', payload: { note: 'ünïcode ✓' }, seq: n })]);
  assert.deepEqual(c.frames, expected);
  assert.equal(c.chunks(), 1, 'in one write');
  c.ws.close();
});
