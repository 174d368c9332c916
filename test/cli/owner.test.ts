import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { GatewayClient } from '@openclaw/gateway-client';
import { GatewayConnection } from '../../src/cli/gateway-client.js';
import { createTestDevice, type TestDevice } from '../helpers/device.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { assertBuilt, childEnv, exits, failsWith, freePort, killAll, runCli, tempDir, type Exited } from '../helpers/cli.js';
import { within } from '../helpers/wait.js';

// The owner CLI commands (`clawgate devices …`, `clawgate nodes …`) as subprocesses (dist/src/cli/main.js, built
// by `npm run build`) against a gateway started here with autoApproveLocal off, so every device waits for
// the owner. Devices are played by the reference client `@openclaw/gateway-client` with a test identity.
// Exit codes: 0 ok, 1 the gateway answered an error, 2 usage error, 69 gateway not reachable.

const TOKEN = 'owner-cli-test-token-0123456789abcdefghi';
const WRONG = 'owner-cli-wrong-token-0123456789abcdefgh';
const GUARD_MS = 10_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every CLI run, so the last test can check that no output ever carried a token. */
const runs: Exited[] = [];

async function cli(args: string[], env: NodeJS.ProcessEnv = childEnv(), timeoutMs = GUARD_MS): Promise<Exited> {
  const r = await runCli(args, env, timeoutMs);
  runs.push(r);
  return r;
}

function json(r: Exited): any {
  exits(r, 0);
  assert.equal(r.stderr, '');
  return JSON.parse(r.stdout);
}


/** A device played by the reference client: hello, its connect error, and every close it saw. */
interface DeviceClient {
  client: GatewayClient;
  hello: Promise<any>;
  connectError: Promise<any>;
  closes: { code: number; reason: string }[];
  nextClose(): Promise<{ code: number; reason: string }>;
  stop(): Promise<void>;
}

const clients = new Set<DeviceClient>();

function startDevice(port: number, dev: TestDevice, mode: 'backend' | 'cli' = 'backend'): DeviceClient {
  let onHello!: (h: any) => void;
  let onError!: (e: any) => void;
  const hello = new Promise<any>((resolve) => { onHello = resolve; });
  const connectError = new Promise<any>((resolve) => { onError = resolve; });
  const closes: { code: number; reason: string }[] = [];
  let closeWaiters: ((c: { code: number; reason: string }) => void)[] = [];
  const client = new GatewayClient({
    url: `ws://127.0.0.1:${port}`,
    token: TOKEN,
    clientName: mode === 'cli' ? 'cli' : 'gateway-client',
    mode,
    role: 'operator',
    scopes: ['operator.read'],
    hostDeps: dev.hostDeps,
    requestTimeoutMs: GUARD_MS,
    onHelloOk: (h) => onHello(h),
    onConnectError: (e) => onError(e),
    onClose: (code, reason) => {
      const c = { code, reason };
      closes.push(c);
      const w = closeWaiters;
      closeWaiters = [];
      for (const f of w) f(c);
    },
  });
  const dc: DeviceClient = {
    client, hello, connectError, closes,
    nextClose: () => new Promise((resolve) => closeWaiters.push(resolve)),
    stop: async () => {
      clients.delete(dc);
      await client.stopAndWait({ timeoutMs: 3000 }).catch(() => client.stop());
    },
  };
  clients.add(dc);
  client.start();
  return dc;
}

/** Connects a new device and returns the pairing request the gateway created for it (the client is stopped). */
async function pendingDevice(port: number, mode: 'backend' | 'cli' = 'backend'): Promise<{ dev: TestDevice; requestId: string }> {
  const dev = createTestDevice();
  const dc = startDevice(port, dev, mode);
  const err = await within(dc.connectError, 'the device to be refused pairing');
  await dc.stop();
  assert.equal(err.gatewayCode ?? err.code, 'NOT_PAIRED', `connect error: ${err.message}`);
  assert.equal(err.details?.code, 'PAIRING_REQUIRED');
  assert.equal(err.details?.deviceId, dev.deviceId);
  assert.match(err.details?.requestId, UUID);
  return { dev, requestId: err.details.requestId };
}

/**
 * A node played by the reference client (linux, declaring device.info, device.status, system.notify). It
 * answers device.info with its params, device.status with an error, and never answers system.notify.
 */
function startNode(port: number, dev: TestDevice): DeviceClient {
  let onHello!: (h: any) => void;
  let onError!: (e: any) => void;
  const hello = new Promise<any>((resolve) => { onHello = resolve; });
  const connectError = new Promise<any>((resolve) => { onError = resolve; });
  const client: GatewayClient = new GatewayClient({
    url: `ws://127.0.0.1:${port}`,
    token: TOKEN,
    clientName: 'node-host',
    clientDisplayName: 'test-node',
    mode: 'node',
    role: 'node',
    scopes: [],
    platform: 'linux',
    caps: ['device'],
    commands: ['device.info', 'device.status', 'system.notify'],
    hostDeps: dev.hostDeps,
    requestTimeoutMs: GUARD_MS,
    onHelloOk: (h) => onHello(h),
    onConnectError: (e) => onError(e),
    onEvent: (evt) => {
      if (evt.event !== 'node.invoke.request') return;
      const req = evt.payload as { id: string; nodeId: string; command: string; paramsJSON?: string };
      const params = req.paramsJSON ? JSON.parse(req.paramsJSON) : undefined;
      if (req.command === 'device.info') {
        void client.request('node.invoke.result', { id: req.id, nodeId: req.nodeId, ok: true, payload: { model: 'test-node', params } }).catch(() => {});
      } else if (req.command === 'device.status') {
        void client.request('node.invoke.result', { id: req.id, nodeId: req.nodeId, ok: false, error: { code: 'BUSY', message: 'try later' } }).catch(() => {});
      }
    },
  });
  const dc: DeviceClient = {
    client, hello, connectError, closes: [],
    nextClose: () => new Promise(() => {}),
    stop: async () => {
      clients.delete(dc);
      await client.stopAndWait({ timeoutMs: 3000 }).catch(() => client.stop());
    },
  };
  clients.add(dc);
  client.start();
  return dc;
}

before(() => assertBuilt());

after(async () => {
  for (const c of [...clients]) await c.stop();
  await killAll();
});

describe('owner CLI against a running gateway (autoApproveLocal off)', () => {
  let tg: TestGateway;
  let conn: string[];
  let hasNodeMethods = false;

  before(async () => {
    assert.equal(TOKEN.length, 40);
    tg = await startTestGateway({ token: TOKEN, autoApproveLocal: false });
    conn = ['--port', String(tg.port), '--token', TOKEN];
    // what the gateway implements right now (the CLI's own client, in-process)
    const gw = await GatewayConnection.connect({ url: `ws://127.0.0.1:${tg.port}`, token: TOKEN });
    assert.deepEqual(gw.grantedScopes, ['operator.admin', 'operator.read', 'operator.write', 'operator.pairing'],
      'a device-less cli/cli socket on loopback keeps its requested scopes');
    hasNodeMethods = ((gw.hello as any).features?.methods ?? []).includes('node.list');
    await gw.close();
  });
  after(async () => {
    await tg?.close();
  });

  test('devices list: nothing pending, nothing paired', async () => {
    assert.deepEqual(json(await cli(['devices', 'list', '--json', ...conn])), { pending: [], paired: [] });
    const r = await cli(['devices', 'list', ...conn]);
    exits(r, 0);
    assert.match(r.stdout, /^Pending requests: none$/m);
    assert.match(r.stdout, /^Paired devices: none$/m);
  });

  test('list → approve → the device connects → remove closes its socket with 4001', async () => {
    const { dev, requestId } = await pendingDevice(tg.port);

    const listed = json(await cli(['devices', 'list', '--json', ...conn]));
    assert.equal(listed.pending.length, 1);
    const p = listed.pending[0];
    assert.equal(p.requestId, requestId);
    assert.equal(p.deviceId, dev.deviceId);
    assert.equal(p.clientId, 'gateway-client');
    assert.equal(p.role, 'operator');
    assert.deepEqual(p.scopes, ['operator.read']);
    assert.deepEqual(listed.paired, []);

    // the human table: request id in full, device id short, client, role, scopes, age
    const table = await cli(['devices', 'list', ...conn]);
    exits(table, 0);
    assert.match(table.stdout, /^Pending requests \(1\)/m);
    assert.match(table.stdout, /^REQUEST\s+DEVICE\s+CLIENT\s+ROLE\s+SCOPES\s+AGE$/m);
    const row = table.stdout.split('\n').find((l) => l.startsWith(requestId));
    assert.ok(row, `a row for ${requestId}:\n${table.stdout}`);
    assert.match(row!, new RegExp(`^${requestId}\\s+${dev.deviceId.slice(0, 12)}\\s+gateway-client/backend\\s+operator\\s+operator\\.read\\s+\\d+s$`));
    assert.ok(!table.stdout.includes(dev.deviceId), 'pending rows show the short device id');

    const approved = await cli(['devices', 'approve', requestId, ...conn]);
    exits(approved, 0);
    assert.equal(approved.stdout, `approved ${requestId}: device ${dev.deviceId} (gateway-client/backend; roles operator; scopes operator.read)\n`);

    // approved: the device now connects, and gets its device token
    const dc = startDevice(tg.port, dev);
    const hello = await within(dc.hello, 'the approved device to connect');
    assert.equal(hello.auth.role, 'operator');
    assert.deepEqual(hello.auth.scopes, ['operator.read']);
    assert.match(hello.auth.deviceToken, /^[A-Za-z0-9_-]{43}$/);

    const after1 = json(await cli(['devices', 'list', '--json', ...conn]));
    assert.deepEqual(after1.pending, []);
    assert.equal(after1.paired.length, 1);
    const d = after1.paired[0];
    assert.equal(d.deviceId, dev.deviceId);
    assert.equal(d.approvedVia, 'owner');
    assert.equal(d.connected, true);
    assert.deepEqual(d.roles, ['operator']);
    assert.ok(!JSON.stringify(after1).includes(hello.auth.deviceToken), 'token values are never listed');

    const pairedTable = await cli(['devices', 'list', ...conn]);
    exits(pairedTable, 0);
    assert.match(pairedTable.stdout, /^DEVICE\s+CLIENT\s+ROLES\s+SCOPES\s+APPROVED\s+CONNECTED$/m);
    assert.match(pairedTable.stdout, new RegExp(`^${dev.deviceId}\\s+gateway-client/backend\\s+operator\\s+operator\\.read\\s+owner\\s+yes$`, 'm'));

    const closed = dc.nextClose();
    const removed = await cli(['devices', 'remove', dev.deviceId, ...conn]);
    exits(removed, 0);
    assert.match(removed.stdout, new RegExp(`^removed device ${dev.deviceId}`));
    assert.deepEqual(await within(closed, 'the removed device socket to close'), { code: 4001, reason: 'device removed' });
    await dc.stop();

    const after2 = json(await cli(['devices', 'list', '--json', ...conn]));
    assert.ok(!after2.paired.some((x: any) => x.deviceId === dev.deviceId), 'no longer paired');
  });

  test('reject a pending request (a cli/cli device); approve/reject/remove of unknown ids → exit 1', async () => {
    const a = await pendingDevice(tg.port, 'cli');
    const b = await pendingDevice(tg.port);
    const before1 = json(await cli(['devices', 'list', '--json', ...conn]));
    assert.deepEqual(before1.pending.map((p: any) => p.requestId).sort(), [a.requestId, b.requestId].sort());
    assert.equal(before1.pending.find((p: any) => p.requestId === a.requestId).clientId, 'cli');

    const rejected = await cli(['devices', 'reject', a.requestId, ...conn]);
    exits(rejected, 0);
    assert.equal(rejected.stdout, `rejected ${a.requestId} (device ${a.dev.deviceId})\n`);
    const rejectedJson = json(await cli(['devices', 'reject', b.requestId, '--json', ...conn]));
    assert.deepEqual(rejectedJson, { requestId: b.requestId, deviceId: b.dev.deviceId });

    const after1 = json(await cli(['devices', 'list', '--json', ...conn]));
    assert.deepEqual(after1.pending, []);
    assert.deepEqual(after1.paired, []);

    failsWith(await cli(['devices', 'approve', a.requestId, ...conn]), 1, /device\.pair\.approve: unknown pairing request/);
    failsWith(await cli(['devices', 'reject', 'no-such-request', ...conn]), 1, /device\.pair\.reject: .*\[INVALID_REQUEST\]/);
    failsWith(await cli(['devices', 'remove', 'f'.repeat(64), ...conn]), 1, /device\.pair\.remove: unknown device/);
  });

  test('credentials: wrong token → exit 1 with the auth error; none → exit 1 with a hint; env and --config work', async () => {
    failsWith(await cli(['devices', 'list', '--port', String(tg.port), '--token', WRONG]), 1,
      /gateway refused the connection: unauthorized: gateway token mismatch \(use this gateway's gateway\.auth\.token or pair the device\) \[AUTH_TOKEN_MISMATCH\]/);
    failsWith(await cli(['devices', 'list', '--port', String(tg.port)]), 1, /device identity required .*--token.*OPENCLAW_GATEWAY_TOKEN/);

    const viaEnv = await cli(['devices', 'list', '--json', '--port', String(tg.port)], childEnv({ OPENCLAW_GATEWAY_TOKEN: TOKEN }));
    assert.deepEqual(Object.keys(json(viaEnv)).sort(), ['paired', 'pending']);

    const dir = tempDir('clawgate-owner-');
    const yaml = join(dir, 'gateway.yaml');
    writeFileSync(yaml, `port: ${tg.port}\ntoken: ${TOKEN}\n`);
    assert.deepEqual(Object.keys(json(await cli(['devices', 'list', '--json', '--config', yaml]))).sort(), ['paired', 'pending']);
    // flags win over the file (as for `clawgate gateway`)
    failsWith(await cli(['devices', 'list', '--config', yaml, '--token', WRONG]), 1, /AUTH_TOKEN_MISMATCH/);
    // --url
    assert.deepEqual(Object.keys(json(await cli(['devices', 'list', '--json', '--url', `ws://127.0.0.1:${tg.port}`, '--token', TOKEN]))).sort(), ['paired', 'pending']);
  });

  test('nodes: a node is paired with `devices approve`, listed, then invoked (or, without node.*, the gateway error → exit 1)', async (t) => {
    t.diagnostic(hasNodeMethods ? 'the gateway has node.*: full node flow' : 'the gateway has no node.* yet: error path only');
    if (!hasNodeMethods) {
      // not implemented by the gateway yet: the CLI reports the gateway's answer clearly
      failsWith(await cli(['nodes', 'list', ...conn]), 1, /^clawgate: node\.list: unknown method: node\.list \[INVALID_REQUEST\]\n$/);
      failsWith(await cli(['nodes', 'invoke', 'n1', 'device.info', '{}', ...conn]), 1, /node\.invoke: unknown method: node\.invoke/);
      return;
    }
    assert.deepEqual(json(await cli(['nodes', 'list', '--json', ...conn])).nodes, []);
    const empty = await cli(['nodes', 'list', ...conn]);
    exits(empty, 0);
    assert.equal(empty.stdout, 'Nodes: none\n');

    // 1. the node's device is not paired: the owner approves it with the CLI
    const nd = createTestDevice();
    const first = startNode(tg.port, nd);
    const refused = await within(first.connectError, 'the node to be refused pairing');
    await first.stop();
    assert.equal(refused.details?.code, 'PAIRING_REQUIRED');
    const pendingList = json(await cli(['devices', 'list', '--json', ...conn]));
    assert.equal(pendingList.pending.find((p: any) => p.requestId === refused.details.requestId)?.role, 'node');
    exits(await cli(['devices', 'approve', refused.details.requestId, ...conn]), 0);

    // 2. it connects; its command surface now waits for node approval, so it cannot be invoked yet
    let node = startNode(tg.port, nd);
    await within(node.hello, 'the paired node to connect');
    const pendingNode = json(await cli(['nodes', 'list', '--json', ...conn])).nodes.find((n: any) => n.nodeId === nd.deviceId);
    assert.equal(pendingNode?.approvalState, 'pending-approval', JSON.stringify(pendingNode));
    assert.deepEqual(pendingNode.pendingDeclaredCommands, ['device.info', 'device.status', 'system.notify']);
    failsWith(await cli(['nodes', 'invoke', nd.deviceId, 'device.info', ...conn]), 1, /^clawgate: node\.invoke: .*\[PAIRING_CHANGED\]\n$/);

    // 3. node capability approval (not a CLI command: done here over the CLI's own client), then reconnect
    const op = await GatewayConnection.connect({ url: `ws://127.0.0.1:${tg.port}`, token: TOKEN });
    const nodeRequest = (await op.request<any>('node.pair.list', {})).pending.find((r: any) => r.nodeId === nd.deviceId);
    await op.request('node.pair.approve', { requestId: nodeRequest.requestId });
    await op.close();
    await node.stop();
    node = startNode(tg.port, nd);
    await within(node.hello, 'the approved node to reconnect');

    const listed = await cli(['nodes', 'list', ...conn]);
    exits(listed, 0);
    assert.match(listed.stdout, /^NODE\s+NAME\s+PLATFORM\s+STATE\s+CONNECTED\s+COMMANDS$/m);
    assert.match(listed.stdout, new RegExp(`^${nd.deviceId}\\s+test-node\\s+linux\\s+approved\\s+yes\\s+device\\.info,device\\.status,system\\.notify$`, 'm'));

    // 4. invoke: the node's payload as JSON; --json gives the whole result
    const out = await cli(['nodes', 'invoke', nd.deviceId, 'device.info', '{"detail":true}', ...conn]);
    exits(out, 0);
    assert.deepEqual(JSON.parse(out.stdout), { model: 'test-node', params: { detail: true } });
    const raw = json(await cli(['nodes', 'invoke', nd.deviceId, 'device.info', '--json', ...conn]));
    assert.equal(raw.ok, true);
    assert.equal(raw.nodeId, nd.deviceId);
    assert.equal(raw.command, 'device.info');
    assert.deepEqual(raw.payload, { model: 'test-node', params: {} });

    // 5. errors from the node and from the gateway's policy and deadline → exit 1 with their message
    failsWith(await cli(['nodes', 'invoke', nd.deviceId, 'device.status', ...conn]), 1, /node\.invoke: BUSY: try later/);
    failsWith(await cli(['nodes', 'invoke', nd.deviceId, 'camera.snap', ...conn]), 1, /node command not allowed/);
    failsWith(await cli(['nodes', 'invoke', nd.deviceId, 'system.notify', '--timeout-ms', '300', ...conn]), 1, /TIMEOUT: node invoke timed out/);
    failsWith(await cli(['nodes', 'invoke', 'f'.repeat(64), 'device.info', ...conn]), 1, /node\.invoke: /);
    await node.stop();
  });

  test('no output ever carries a token', () => {
    assert.ok(runs.length > 10);
    for (const r of runs) {
      for (const t of [TOKEN, WRONG]) assert.ok(!r.stdout.includes(t) && !r.stderr.includes(t), `token leaked in: ${r.stdout}${r.stderr}`);
    }
  });
});

describe('owner CLI without a gateway', () => {
  let http: HttpServer | undefined;
  let silent: Server | undefined;
  after(async () => {
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
    silent?.close();
  });

  test('nothing listening → exit 69', async () => {
    const port = String(await freePort());
    failsWith(await cli(['devices', 'list', '--port', port, '--token', TOKEN]), 69, /gateway not reachable at ws:\/\/127\.0\.0\.1:\d+ \(connection refused/);
    failsWith(await cli(['nodes', 'list', '--port', port, '--token', TOKEN]), 69);
    failsWith(await cli(['nodes', 'invoke', 'n1', 'cmd', '--port', port, '--token', TOKEN]), 69);
  });

  test('an HTTP server that refuses the upgrade → exit 69; one that never answers → exit 69 after the 5 s connect timeout', async () => {
    http = createHttpServer((_req, res) => { res.statusCode = 404; res.end(); });
    http.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'));
    await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
    const httpPort = String((http.address() as AddressInfo).port);
    failsWith(await cli(['devices', 'list', '--port', httpPort, '--token', TOKEN]), 69, /refused the WebSocket upgrade: HTTP 404/);

    silent = createServer(() => { /* accept and say nothing */ });
    await new Promise<void>((resolve) => silent!.listen(0, '127.0.0.1', resolve));
    const silentPort = String((silent.address() as AddressInfo).port);
    const started = Date.now();
    failsWith(await cli(['devices', 'list', '--port', silentPort, '--token', TOKEN], childEnv(), 15_000), 69, /timed out|within 5 s/);
    assert.ok(Date.now() - started < 12_000, 'bounded by the connect timeout');
  });

  test('usage errors → exit 2, one line on stderr', async () => {
    const cases: [string[], RegExp][] = [
      [['devices'], /missing command/],
      [['devices', 'frob'], /unknown command "frob"/],
      [['devices', 'approve'], /devices approve: missing <requestId>/],
      [['devices', 'reject'], /devices reject: missing <requestId>/],
      [['devices', 'remove'], /devices remove: missing <deviceId>/],
      [['devices', 'approve', 'a', 'b'], /unexpected argument "b"/],
      [['devices', 'list', 'extra'], /unexpected argument "extra"/],
      [['devices', 'list', '--nope'], /--nope/],
      [['devices', 'list', '--port', 'abc'], /--port/],
      [['devices', 'list', '--port', '70000'], /--port/],
      [['devices', 'list', '--url', 'ftp://x'], /--url/],
      [['devices', 'list', '--url', 'ws://127.0.0.1:1', '--port', '2'], /--url cannot be combined/],
      [['devices', 'list', '--token', '  '], /--token is empty/],
      [['devices', 'list', '--config', '/nonexistent/clawgate.yaml'], /cannot read config file/],
      [['nodes'], /missing command/],
      [['nodes', 'invoke'], /missing <nodeId>/],
      [['nodes', 'invoke', 'n1'], /missing <command>/],
      [['nodes', 'invoke', 'n1', 'cmd', '{bad'], /json-params is not valid JSON/],
      [['nodes', 'invoke', 'n1', 'cmd', '[1,2]'], /must be a JSON object/],
      [['nodes', 'invoke', 'n1', 'cmd', '{}', 'x'], /unexpected argument "x"/],
      [['nodes', 'invoke', 'n1', 'cmd', '--timeout-ms', '-5'], /--timeout-ms/],
      [['nodes', 'list', '--timeout-ms', '5'], /--timeout-ms applies to nodes invoke only/],
    ];
    for (const [args, pattern] of cases) failsWith(await cli(args), 2, pattern);
  });

  test('--help prints usage on stdout and exits 0', async () => {
    for (const [args, head] of [[['devices', '--help'], /^usage: clawgate devices/], [['nodes', 'invoke', '-h'], /^usage: clawgate nodes/]] as const) {
      const r = await cli([...args]);
      exits(r, 0);
      assert.match(r.stdout, head);
      assert.match(r.stdout, /Exit codes: 0 ok, 1 the gateway answered an error, 2 usage error, 69 gateway not reachable/);
      assert.equal(r.stderr, '');
    }
    const top = await cli(['--help']);
    assert.match(top.stdout, /clawgate devices list \| approve <requestId>/);
  });
});
