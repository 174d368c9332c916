import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocketServer } from 'ws';
import { parseGatewayArgs } from '../../../src/config/args.js';
import { ConfigError } from '../../../src/config/gateway-config.js';
import { inspectFeedUrl } from '../../../src/config/inspect-feed-url.js';
import { startTestGateway } from '../../helpers/gateway.js';
import { operator, TOKEN } from '../../helpers/ws-raw.js';
import { until } from '../../helpers/wait.js';

// The developer feed (web-surfaces.md I6): env CLAWGATE_INSPECT_WS, with --inspect, sends `@xstate.*` frames to a
// loopback Stately inspector server (a fake one here); a non-loopback URL stops the start.

test('CLAWGATE_INSPECT_WS must be a ws:// URL on loopback, and is read only with --inspect', () => {
  assert.equal(inspectFeedUrl('ws://127.0.0.1:8080'), 'ws://127.0.0.1:8080/');
  assert.equal(inspectFeedUrl('ws://localhost:9'), 'ws://localhost:9/');
  for (const bad of ['ws://example.com:8080', 'ws://192.168.1.2:8080', 'wss://127.0.0.1:8080', 'http://127.0.0.1:1', 'nope']) {
    assert.throws(() => inspectFeedUrl(bad), ConfigError, bad);
  }
  assert.throws(() => parseGatewayArgs(['--inspect'], { CLAWGATE_INSPECT_WS: 'ws://example.com:8080' }), /loopback/);
  assert.equal(parseGatewayArgs([], { CLAWGATE_INSPECT_WS: 'ws://example.com:8080' }).inspectFeedUrl, undefined);
  assert.equal(parseGatewayArgs(['--inspect'], { CLAWGATE_INSPECT_WS: 'ws://127.0.0.1:7' }).inspectFeedUrl, 'ws://127.0.0.1:7/');
});

test('the feed sends only @xstate.* frames to the inspector server', async () => {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => server.once('listening', () => r()));
  const received: Record<string, any>[] = [];
  server.on('connection', (sock) => sock.on('message', (data) => received.push(JSON.parse(data.toString()))));
  const port = (server.address() as { port: number }).port;
  const g = await startTestGateway({ token: TOKEN, inspect: true, inspectFeedUrl: `ws://127.0.0.1:${port}/` });
  try {
    await until(() => server.clients.size === 1, 'the feed connected');
    const c = await operator(g.port);
    await until(() => received.some((f) => f.type === '@xstate.actor' && String(f.name).startsWith('conn:')), 'the connection actor announced');
    await c.close();
    assert.ok(received.length > 0);
    for (const f of received) assert.match(f.type, /^@xstate\.(actor|event|snapshot)$/);
    assert.equal(JSON.stringify(received).includes(TOKEN), false);
  } finally {
    await g.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
