import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { pino } from 'pino';

import { BROADCAST_TIMING_CHANNEL, timeBroadcasts, type BroadcastTiming } from '../../src/actors/broadcast-timing.js';
import { ConnectionHub, type WsSocket } from '../../src/actors/connection-hub.js';
import { ActorDirectory } from '../../src/actors/supervise.js';
import { encodeEvent } from '../../protocol/encode.js';

// A hub built while someone listens on the channel publishes each broadcast's event name, wall time and socket
// count, and still delivers it; a hub built with nobody listening keeps its own broadcast method.

const CONNECT = JSON.stringify({
  type: 'req', id: 'c1', method: 'connect',
  params: { minProtocol: 4, maxProtocol: 4, client: { id: 'test', version: '1', platform: 'linux', mode: 'test' } },
});

function hubWithOneOperator() {
  const hub = new ConnectionHub({
    log: pino({ level: 'silent' }), warnings: { warn() {} }, handshakeTimeoutMs: 10_000, maxBufferedBytes: 1 << 30,
    directory: new ActorDirectory(), methods: new Set(['health']), dispatch() {},
    admit: () => ({ ok: true, admitted: { role: 'operator', scopes: ['operator.read'], hello: { type: 'hello-ok' }, client: {} } }),
  });
  const frames: string[] = [];
  const socket: WsSocket = {
    send: (text) => void frames.push(text), sendNumbered: (frame, n) => void frames.push(frame.bytes(n).toString()),
    bufferedAmount: () => 0, end() {}, terminate() {}, ping() {},
  };
  const conn = hub.open(socket, { remoteAddress: '127.0.0.1', local: true });
  hub.frame(conn, CONNECT, CONNECT.length);
  return { hub, conn, frames };
}

test('with a subscriber, every broadcast is published with its event, wall time and sockets, and still delivered', (t) => {
  const heard: BroadcastTiming[] = [];
  const listener = (m: unknown) => void heard.push(m as BroadcastTiming);
  subscribe(BROADCAST_TIMING_CHANNEL, listener);
  t.after(() => unsubscribe(BROADCAST_TIMING_CHANNEL, listener));
  const { hub, conn, frames } = hubWithOneOperator();
  timeBroadcasts(hub);
  const before = frames.length;

  hub.broadcast(encodeEvent('tick', { ts: 1 }), () => true);
  hub.broadcast(() => encodeEvent('chat', { state: 'final' }), () => true);
  hub.broadcast(() => encodeEvent('agent', {}), () => false); // nobody takes it: never built

  assert.deepEqual(heard.map((h) => [h.event, h.sockets]), [['tick', 1], ['chat', 1], ['not built: no socket took it', 1]]);
  for (const h of heard) assert.ok(h.ms >= 0 && Number.isFinite(h.ms), `a wall time in ms: ${h.ms}`);
  const delivered = frames.slice(before).map((f) => JSON.parse(f) as { event: string });
  assert.deepEqual(delivered.map((f) => f.event), ['tick', 'chat'], 'delivered as without timing');
  hub.socketClosed(conn);
});

test('with nobody listening, the hub keeps its own broadcast and nothing is published', () => {
  const { hub, conn } = hubWithOneOperator();
  const own = hub.broadcast;
  timeBroadcasts(hub);
  assert.equal(hub.broadcast, own);
  hub.socketClosed(conn);
});
