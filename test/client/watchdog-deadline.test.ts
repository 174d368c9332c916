import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { createGatewayClient } from '../../src/client/index.js';
import { fakeGateway, ManualClock } from '../helpers/client-kit.js';
import { until, within } from '../helpers/wait.js';

// K4 / W7 "Watchdog": the close comes as soon as 2 × tickIntervalMs pass with no inbound frame, not up to one
// more interval later (WT7 runs the page clock 61 s with a 30 s tick and expects the close).

test('tick watchdog: closes 4000 "tick timeout" right after 2 × tickIntervalMs of silence, not a check interval later', async (t) => {
  const gw = await fakeGateway({ tickIntervalMs: 1_000 });
  t.after(() => gw.close());
  const clock = new ManualClock();
  const client = createGatewayClient({ url: gw.url, WebSocket, clock });
  t.after(() => client.stop());
  client.start();
  const session = await within(client.ready(), 'hello-ok');
  clock.advance(2_000);
  assert.equal(session.closed, false, 'exactly 2 × tickIntervalMs is not yet too long');
  clock.advance(1);
  assert.equal(session.closed, true, 'one millisecond more is');
  await until(() => gw.closes.length === 1, 'the close');
  assert.deepEqual(gw.closes[0], { code: 4000, reason: 'tick timeout' });
});
