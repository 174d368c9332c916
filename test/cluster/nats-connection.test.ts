import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { connectNats } from '../../src/cluster/nats-connection.js';
import type { NatsState } from '../../src/core/cluster-status.js';
import { StartupError } from '../../src/core/startup-error.js';
import { freePort } from '../helpers/cli.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { until, within } from '../helpers/wait.js';

// The gateway's NATS connection: a clear start-up error when NATS is not there, a state that follows the
// server going away and coming back (reconnecting forever), and a close that ends it.

const log = pino({ level: 'silent' });
const servers: NatsServer[] = [];
after(async () => { for (const s of servers) await s.stop().catch(() => {}); });

test('no NATS at the URL: a StartupError naming the URL and what to do, within the connect timeout', async () => {
  const url = `nats://127.0.0.1:${await freePort()}`;
  const err = await within(connectNats({ url, instanceId: 'x', log, connectTimeoutMs: 2_000 }).then(() => undefined, (e: unknown) => e), 'the connect to fail');
  assert.ok(err instanceof StartupError, String(err));
  assert.match(err.message, new RegExp(`cannot reach NATS at ${url} \\(--nats-url\\): .* \\(waited at most 2000 ms\\); start nats-server with JetStream`));
});

test('the state follows the server: connected, reconnecting while it is gone, connected once it is back, closed after close()', async () => {
  const server = await startNatsServer();
  servers.push(server);
  const link = await connectNats({ url: server.url, instanceId: 'x', log, reconnectWaitMs: 100 });
  const seen: NatsState[] = [];
  link.onState((s) => seen.push(s));
  assert.equal(link.nats, 'connected');
  assert.equal(link.connected, true);
  await server.kill();
  await until(() => link.nats === 'reconnecting', 'the link to notice', 10_000, 10);
  assert.equal(link.connected, false);
  await server.restart();
  await until(() => link.nats === 'connected', 'the link to reconnect', 15_000, 10);
  await within(link.close(), 'close', 10_000);
  assert.equal(link.nats, 'closed');
  assert.deepEqual(seen, ['reconnecting', 'connected', 'closed']);
});

test('close() while NATS is down still ends (bounded), with the state closed', async () => {
  const server = await startNatsServer();
  servers.push(server);
  const link = await connectNats({ url: server.url, instanceId: 'x', log, reconnectWaitMs: 100 });
  await server.kill();
  await until(() => link.nats === 'reconnecting', 'the link to notice', 10_000, 10);
  await within(link.close(), 'close while down', 10_000);
  assert.equal(link.nats, 'closed');
});
