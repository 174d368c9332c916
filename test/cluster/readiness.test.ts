import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { assertBuilt, exits, failsWith, freePort, killAll, runCli, tempDir } from '../helpers/cli.js';
import { startCliGatewayOn } from '../helpers/cli-gateway.js';
import { getJson } from '../helpers/json-http.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { until } from '../helpers/wait.js';
import { TOKEN } from '../helpers/ws-client.js';

// Cluster mode and NATS's availability, on real processes: /readyz is 503 (failing "nats") while NATS is gone
// and 200 once the gateway has reconnected by itself; a start without a reachable NATS fails at once with one
// clear line (exit 78, EX_CONFIG), also when something answers on the port but never speaks NATS.

const servers: NatsServer[] = [];
after(async () => {
  await killAll();
  for (const s of servers) await s.stop().catch(() => {});
});

test('/readyz is 503 with "nats" failing while nats-server is down, and 200 again after it is restarted', async () => {
  assertBuilt();
  const nats = await startNatsServer();
  servers.push(nats);
  const gw = await startCliGatewayOn(tempDir('clawgate-cluster-'), TOKEN, ['--nats-url', nats.url], 20_000);
  assert.deepEqual((await getJson(`${gw.url}/readyz`)).json.failing, []);
  await nats.kill();
  await until(async () => (await getJson(`${gw.url}/readyz`)).status === 503, '/readyz to answer 503', 15_000, 50);
  assert.deepEqual((await getJson(`${gw.url}/readyz`)).json.failing, ['nats']);
  assert.equal((await fetch(`${gw.url}/healthz`)).status, 200, 'the process is alive meanwhile');
  await nats.restart();
  await until(async () => (await getJson(`${gw.url}/readyz`)).status === 200, '/readyz to answer 200 again', 20_000, 50);
  assert.ok(gw.proc.running);
  // and a stop while NATS is gone still ends: the drain of the connection is bounded
  await nats.kill();
  await until(async () => (await getJson(`${gw.url}/readyz`)).status === 503, '/readyz to answer 503 again', 15_000, 50);
  gw.proc.kill('SIGTERM');
  exits(await gw.proc.exit(15_000), 0);
});

test('nothing listening at --nats-url: the start fails with one line naming the URL (exit 78)', async () => {
  assertBuilt();
  const url = `nats://127.0.0.1:${await freePort()}`;
  const r = await runCli(['gateway', '--port', '0', '--state-dir', tempDir('clawgate-cluster-'), '--nats-url', url], undefined, 20_000);
  failsWith(r, 78, new RegExp(`cannot reach NATS at ${url.replace(/\./g, '\\.')} \\(--nats-url\\)`));
});

test('a port that accepts but never speaks NATS: the start fails within the connect timeout, not later', async () => {
  assertBuilt();
  const sockets = new Set<Socket>();
  const silent = createServer((s) => { sockets.add(s); s.on('error', () => {}); });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const url = `nats://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    // the connect timeout is 5 s: 20 s only guards against a hang
    const r = await runCli(['gateway', '--port', '0', '--state-dir', tempDir('clawgate-cluster-'), '--nats-url', url], undefined, 20_000);
    failsWith(r, 78, /cannot reach NATS at .*: .* \(waited at most 5000 ms\)/);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  }
});
