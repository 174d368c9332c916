import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway } from '../../helpers/gateway.js';
import { gatedRunner } from '../../helpers/gated-runner.js';
import { startClient, uniq, type TappedClient } from '../../helpers/ws-client.js';
import { until } from '../../helpers/wait.js';

// While the gateway drains (close() waiting for a running run within the shutdown grace period) a connected WS
// client's chat.send is refused UNAVAILABLE "gateway shutting down", retryable, and nothing is recorded; the
// running run still completes and its client hears of it.

test('chat.send during the drain: UNAVAILABLE "gateway shutting down"; the running run completes', async () => {
  const gated = gatedRunner();
  const tg = await startTestGateway({ shutdownGraceMs: 60_000 }, { runner: gated.runner });
  let c: TappedClient | undefined;
  try {
    c = await startClient(tg.url, {}, 'drain');
    const sessionKey = `agent:main:${uniq('drain')}`;
    const held = uniq('held');
    await c.request('chat.send', { sessionKey, message: 'hold on', idempotencyKey: held });
    await until(() => tg.gw.runs.get(held)?.state === 'running', 'the held run is running');
    const closed = tg.gw.close(); // the grace period is a bound: the release below ends the drain
    const late = uniq('late');
    const err = await c.request('chat.send', { sessionKey, message: 'too late', idempotencyKey: late }).then(
      () => assert.fail('chat.send was accepted while draining'), (e: any) => e);
    assert.deepEqual([err.code, err.message, err.details], ['UNAVAILABLE', 'gateway shutting down', { reason: 'shutting_down' }]);
    assert.equal(tg.gw.runs.get(late), undefined, 'nothing recorded');
    gated.release(held);
    await closed;
    assert.equal(tg.gw.runs.get(held)?.state, 'completed');
    await c.log.waitForEvent('chat', (p) => p.runId === held && p.state === 'final'); // the client heard the end
  } finally {
    c?.stop();
    await tg.close();
  }
});
