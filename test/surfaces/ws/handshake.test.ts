import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AdmitInput, AdmitResult } from '../../../src/machines/connection.js';
import { formatValidationErrors, SERVER_FRAME_VALIDATORS } from '../../../protocol/validators.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import {
  bounded, connectParams, connectRaw, openRaw, operator, TOKEN, until, WAIT_MS, wsUrl,
  type CloseInfo, type Frame, type RawClient,
} from '../../helpers/ws-raw.js';

// openclaw-protocol.md §1–§7: the handshake and error rules of the WS control plane, on raw frames
// (the `ws` package), against a real gateway on an ephemeral loopback port. Every refusal is checked for
// the exact `res` error (code, message, details), the absence of other frames, and the close code and reason.

let tg: TestGateway;
let url: string;
const open = new Set<RawClient>();
/** Every socket of this file whose frames the final schema check validates. */
const seen: RawClient[] = [];

before(async () => {
  tg = await startTestGateway({ token: TOKEN });
  url = wsUrl(tg.port);
});

after(async () => {
  await Promise.all([...open].map((c) => c.close()));
  await tg?.close();
});

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const LOCAL_CLI_HINT = "(use this gateway's gateway.auth.token or pair the device)";
const REMOTE_CLI_HINT = '(set gateway.remote.token to match gateway.auth.token)';
const CONTROL_UI_HINT = '(open the dashboard URL and paste the token in Control UI settings)';
const DEFAULT_HINT = '(provide gateway auth token)';
const ORIGIN_NOT_ALLOWED = 'origin not allowed (open the Control UI from the gateway host or allow it in gateway.controlUi.allowedOrigins)';

function track(c: RawClient): RawClient {
  seen.push(c);
  open.add(c);
  void c.closed.then(() => open.delete(c));
  return c;
}

async function raw(path = '/', options = {}): Promise<RawClient> {
  const c = track(await openRaw(wsUrl(tg.port, path), options));
  await c.next((f) => f.event === 'connect.challenge', WAIT_MS, 'connect.challenge');
  return c;
}

async function connect(params: Record<string, any>, options = {}): Promise<{ c: RawClient; res: Frame; challenge: Frame }> {
  const out = await connectRaw(url, params, options);
  track(out.c);
  return out;
}

async function closedWith(c: RawClient): Promise<CloseInfo> {
  return bounded(c.closed, WAIT_MS, 'the server close');
}

/** The server's close: code and reason, and that it came with nothing after the refusal. */
async function assertClosed(c: RawClient, code: number, reason: string): Promise<void> {
  const info = await closedWith(c);
  assert.deepEqual({ code: info.code, reason: info.reason }, { code, reason });
  assert.ok(info.reasonBytes <= 120, `close reason is ${info.reasonBytes} bytes`);
}

/** A refused connect: exactly challenge + one `res ok:false` with this error, then this close. */
async function assertRefused(
  out: { c: RawClient; res: Frame }, error: Record<string, unknown>, close: { code: number; reason?: string },
): Promise<void> {
  const { c, res } = out;
  assert.deepEqual(Object.keys(res).sort(), ['error', 'id', 'ok', 'type']);
  assert.equal(res.ok, false);
  assert.deepEqual(res.error, error);
  await assertClosed(c, close.code, close.reason ?? (error.message as string));
  assert.deepEqual(c.frames.map((f) => f.type === 'event' ? f.event : f.type), ['connect.challenge', 'res'], 'no frame besides challenge and res');
}

/** A socket that never got a `res`: only the challenge, then this close. */
async function assertClosedWithoutRes(c: RawClient, code: number, reason: string): Promise<void> {
  await assertClosed(c, code, reason);
  assert.deepEqual(c.frames.map((f) => f.event ?? f.type), ['connect.challenge'], 'no res before the close');
}

async function assertOpenAndServing(c: RawClient): Promise<void> {
  const res = await c.call('health', {});
  assert.equal(res.ok, true, 'health answered');
  assert.equal(c.isClosed(), false, 'socket still open');
}

const tokenAuth = { auth: { token: TOKEN } };
const cliClient = { client: { id: 'cli', mode: 'cli' } };
const fakeDevice = (nonce: string) => ({ id: 'device-1', publicKey: 'pk', signature: 'sig', signedAt: Date.now(), nonce });

/**
 * Make `connect` admission on this gateway wait for `waitFor(params)` (undefined = no wait), then run the
 * real admission. White-box: replaces the admission function in the hub's options (its `admit` action calls
 * it for every connect) with a gated one; the connect's answer then comes when the promise settles.
 */
function holdAdmission(g: TestGateway, waitFor: (params: Record<string, unknown>) => Promise<void> | undefined): void {
  const hub = g.gw.ws.hub as any;
  const realAdmit: (input: AdmitInput) => AdmitResult | Promise<AdmitResult> = hub.opts.admit;
  hub.opts.admit = async (input: AdmitInput): Promise<AdmitResult> => {
    await waitFor(input.params);
    return realAdmit(input);
  };
}

// ---------------------------------------------------------------------------------------------------------
describe('§3.1 challenge and hello', () => {
  test('the challenge is sent on open: uuid v4 nonce, integer epoch-ms ts, capabilities [], no seq', async () => {
    const before = Date.now();
    const c = track(await openRaw(url));
    const challenge = await c.next(undefined, WAIT_MS, 'first frame');
    const afterOpen = Date.now();
    assert.deepEqual(Object.keys(challenge).sort(), ['event', 'payload', 'type']);
    assert.equal(challenge.type, 'event');
    assert.equal(challenge.event, 'connect.challenge');
    assert.equal('seq' in challenge, false);
    assert.deepEqual(Object.keys(challenge.payload).sort(), ['capabilities', 'nonce', 'ts']);
    assert.match(challenge.payload.nonce, UUID_V4);
    assert.ok(Number.isSafeInteger(challenge.payload.ts), 'ts is an integer');
    assert.ok(challenge.payload.ts >= before && challenge.payload.ts <= afterOpen, 'ts is epoch ms of now');
    assert.deepEqual(challenge.payload.capabilities, []);
    // every socket gets its own nonce
    const c2 = track(await openRaw(url));
    const ch2 = await c2.next(undefined, WAIT_MS, 'second challenge');
    assert.notEqual(ch2.payload.nonce, challenge.payload.nonce);
    await Promise.all([c.close(), c2.close()]);
  });

  test('a valid token connect → hello-ok (protocol 4, auth token) and then health with seq 1', async () => {
    const { c, res } = await connect(connectParams({ scopes: ['operator.read'], ...tokenAuth }));
    assert.equal(res.ok, true);
    assert.equal(res.payload.type, 'hello-ok');
    assert.equal(res.payload.protocol, 4);
    assert.deepEqual(res.payload.auth, { method: 'token', role: 'operator', scopes: ['operator.read'] });
    assert.equal('seq' in res, false, 'no seq on res');
    const health = await c.next((f) => f.type === 'event', WAIT_MS, 'first event');
    assert.equal(health.event, 'health');
    assert.equal(health.seq, 1);
    assert.deepEqual(Object.keys(health.stateVersion).sort(), ['health', 'presence']);
    await c.close();
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('§3.2 pre-hello rules', () => {
  test('first request is not connect → INVALID_REQUEST "invalid handshake: first request must be connect", close 1008', async () => {
    const c = await raw();
    c.send({ type: 'req', id: 'h1', method: 'health', params: {} });
    const res = await c.res('h1');
    await assertRefused({ c, res }, { code: 'INVALID_REQUEST', message: 'invalid handshake: first request must be connect' }, { code: 1008 });
  });

  test('connect params schema error (bad client.id) → INVALID_REQUEST with the schema text, close 1008', async () => {
    const out = await connect(connectParams({ client: { id: 'not-a-client' }, ...tokenAuth }));
    await assertRefused(out, {
      code: 'INVALID_REQUEST', message: 'invalid connect params: at /client/id: must be equal to one of the allowed values',
    }, { code: 1008 });
  });

  test('connect params missing a required field → INVALID_REQUEST "must have required property", close 1008', async () => {
    const { maxProtocol: _drop, ...params } = connectParams(tokenAuth);
    const out = await connect(params);
    await assertRefused(out, { code: 'INVALID_REQUEST', message: "invalid connect params: must have required property 'maxProtocol'" }, { code: 1008 });
  });

  test('unknown top-level field on the connect frame → "invalid request frame: at root: unexpected property \'extra\'", close 1008', async () => {
    const c = await raw();
    c.send({ type: 'req', id: 'c1', method: 'connect', params: connectParams(tokenAuth), extra: true });
    const res = await c.res('c1');
    await assertRefused({ c, res }, { code: 'INVALID_REQUEST', message: "invalid request frame: at root: unexpected property 'extra'" }, { code: 1008 });
  });

  test('a connect frame without an id, or with id "" → res with id "invalid", close 1008', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{}, "invalid request frame: must have required property 'id'"],
      [{ id: '' }, 'invalid request frame: at /id: must not have fewer than 1 characters'],
    ];
    for (const [extra, message] of cases) {
      const c = await raw();
      c.send({ type: 'req', method: 'connect', params: connectParams(tokenAuth), ...extra });
      const res = await c.res('invalid');
      await assertRefused({ c, res }, { code: 'INVALID_REQUEST', message }, { code: 1008 });
    }
  });

  test('non-JSON first frame → close 1000 with an empty reason, no res', async () => {
    for (const text of ['not json', '{"type":"req",', '']) {
      const c = await raw();
      c.sendRaw(text);
      await assertClosedWithoutRes(c, 1000, '');
    }
  });

  test('valid JSON that is not a req → close 1008 "invalid request frame", no res', async () => {
    for (const frame of [{ type: 'event', event: 'tick' }, { type: 'res', id: 'x', ok: true }, [], 42, null, 'req', { id: 'c1', method: 'connect' }]) {
      const c = await raw();
      c.sendRaw(JSON.stringify(frame));
      await assertClosedWithoutRes(c, 1008, 'invalid request frame');
    }
  });

  test('a first frame over 64 KiB → close 1009 "preauth payload too large", no res; exactly 64 KiB is accepted', async () => {
    // 65 536 bytes: a valid connect padded with JSON whitespace
    const text = JSON.stringify({ type: 'req', id: 'big', method: 'connect', params: connectParams({ scopes: ['operator.read'], ...tokenAuth }) });
    const exact = text + ' '.repeat(65_536 - Buffer.byteLength(text));
    assert.equal(Buffer.byteLength(exact), 65_536);
    const ok = await raw();
    ok.sendRaw(exact);
    assert.equal((await ok.res('big')).ok, true, '64 KiB connect accepted');
    await ok.close();

    const tooBig = await raw();
    tooBig.sendRaw(exact + ' ');
    await assertClosedWithoutRes(tooBig, 1009, 'preauth payload too large');
  });

  test('pipelined requests after connect are answered after hello-ok, each once, matched by id', async () => {
    const c = await raw();
    c.send({ type: 'req', id: 'c1', method: 'connect', params: connectParams({ scopes: ['operator.admin'], ...tokenAuth }) });
    c.send({ type: 'req', id: 'q1', method: 'health', params: {} });
    c.send({ type: 'req', id: 'q2', method: 'status', params: {} });
    c.send({ type: 'req', id: 'q3', method: 'no.such.method', params: {} });
    const [q1, q2, q3] = await Promise.all([c.res('q1'), c.res('q2'), c.res('q3')]);
    assert.equal(q1.ok, true);
    assert.equal(q2.ok, true);
    assert.deepEqual(q3.error, { code: 'INVALID_REQUEST', message: 'unknown method: no.such.method' });
    const res = c.frames.filter((f) => f.type === 'res');
    assert.equal(res[0].id, 'c1');
    assert.equal(res[0].ok, true);
    assert.equal(res.length, 4);
    await c.close();
  });

  test('frames pipelined behind a refused connect are dropped: only the connect is answered', async () => {
    const c = await raw();
    c.send({ type: 'req', id: 'c1', method: 'connect', params: connectParams({ auth: { token: 'wrong-token-wrong-token-wrong-token!!' } }) });
    c.send({ type: 'req', id: 'q1', method: 'health', params: {} });
    const res = await c.res('c1');
    const message = `unauthorized: gateway token mismatch ${DEFAULT_HINT}`;
    assert.equal(res.error.message, message);
    await assertClosed(c, 1008, message);
    assert.equal(c.frames.filter((f) => f.type === 'res').length, 1);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Clawgate's admission is decided in the step of the `connect` frame (only a held auth failure waits), so a
// burst of frames behind `connect` normally finds hello-ok already sent (the 16-frame burst was answered in
// full when tried). To test the "while connect is pending" rules deterministically, this gateway's
// hub gets a connection machine whose `admit` actor waits on a gate the test opens, then runs the real
// admission (holdAdmission).
describe('§3.2 frames queued while connect is pending (admission held open)', () => {
  let held: TestGateway;
  let gate: { promise: Promise<void>; open: () => void };
  const newGate = () => {
    let open!: () => void;
    const promise = new Promise<void>((r) => { open = r; });
    gate = { promise, open };
  };
  /** How many frames each open connection of this gateway holds behind its pending connect. */
  const pendingCounts = (): number[] =>
    [...((held.gw.ws.hub as any).all as Set<any>)].map((conn) => conn.actor.getSnapshot().context.pending.length);

  before(async () => {
    held = await startTestGateway({ token: TOKEN });
    holdAdmission(held, () => gate.promise);
  });
  after(async () => {
    gate?.open();
    await held?.close();
  });

  async function heldSocket(): Promise<RawClient> {
    newGate();
    const c = track(await openRaw(wsUrl(held.port)));
    await c.next((f) => f.event === 'connect.challenge', WAIT_MS, 'connect.challenge');
    c.send({ type: 'req', id: 'c1', method: 'connect', params: connectParams({ scopes: ['operator.read'], ...tokenAuth }) });
    return c;
  }

  test('the 16th frame queued behind a pending connect → close 1008 "too many pending handshake frames", no res', async () => {
    const c = await heldSocket();
    for (let i = 0; i < 16; i++) c.send({ type: 'req', id: `p${i}`, method: 'health', params: {} });
    await assertClosedWithoutRes(c, 1008, 'too many pending handshake frames');
    gate.open();
  });

  test('15 frames queued behind a pending connect are held, then all answered after hello-ok', async () => {
    const c = await heldSocket();
    for (let i = 0; i < 15; i++) c.send({ type: 'req', id: `p${i}`, method: 'health', params: {} });
    await until(() => pendingCounts().includes(15), 'the server to hold 15 frames');
    assert.deepEqual(c.frames.map((f) => f.event ?? f.type), ['connect.challenge'], 'nothing answered while connect is pending');
    gate.open();
    for (let i = 0; i < 15; i++) assert.equal((await c.res(`p${i}`)).ok, true);
    const resIds = c.frames.filter((f) => f.type === 'res').map((f) => f.id);
    assert.equal(resIds[0], 'c1', 'hello-ok first');
    assert.equal(resIds.length, 16, 'exactly one res per request');
    assert.deepEqual(new Set(resIds), new Set(['c1', ...Array.from({ length: 15 }, (_, i) => `p${i}`)]));
    await assertOpenAndServing(c);
    await c.close();
  });

  test('non-JSON and malformed frames queued behind connect are handled as after-hello frames', async () => {
    const c = await heldSocket();
    c.sendRaw('not json');
    c.send({ type: 'req', id: 'm1', method: '' });
    c.send({ type: 'req', id: 'q1', method: 'status', params: {} });
    await until(() => pendingCounts().includes(3), 'the server to hold 3 frames');
    gate.open();
    assert.deepEqual((await c.res('m1')).error, { code: 'INVALID_REQUEST', message: 'invalid request frame: at /method: must not have fewer than 1 characters' });
    assert.equal((await c.res('q1')).ok, true);
    assert.equal(c.frames.filter((f) => f.type === 'res')[0].id, 'c1');
    await assertOpenAndServing(c);
    await c.close();
  });

  test('a queued frame over 64 KiB while connect is pending → close 1009 "preauth payload too large"', async () => {
    const c = await heldSocket();
    c.sendRaw(JSON.stringify({ type: 'req', id: 'big', method: 'health', params: {} }) + ' '.repeat(65_536));
    await assertClosedWithoutRes(c, 1009, 'preauth payload too large');
    gate.open();
  });

  test('frames queued behind a connect that is refused are dropped: only the connect is answered', async () => {
    newGate();
    const c = track(await openRaw(wsUrl(held.port)));
    await c.next((f) => f.event === 'connect.challenge', WAIT_MS, 'connect.challenge');
    c.send({ type: 'req', id: 'c1', method: 'connect', params: connectParams({ role: 'admin', ...tokenAuth }) });
    c.send({ type: 'req', id: 'q1', method: 'health', params: {} });
    await until(() => pendingCounts().includes(1), 'the server to hold 1 frame');
    gate.open();
    const res = await c.res('c1');
    await assertRefused({ c, res }, { code: 'INVALID_REQUEST', message: 'invalid role' }, { code: 1008 });
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('§4.2 role, §4.3 protocol negotiation', () => {
  test('protocol 3..3 (cli) → PROTOCOL_MISMATCH with exact details, close 1002 "protocol mismatch"', async () => {
    const out = await connect(connectParams({ minProtocol: 3, maxProtocol: 3, ...cliClient, ...tokenAuth }));
    await assertRefused(out, {
      code: 'INVALID_REQUEST', message: 'protocol mismatch',
      details: { code: 'PROTOCOL_MISMATCH', clientMinProtocol: 3, clientMaxProtocol: 3, expectedProtocol: 4, minimumProbeProtocol: 3 },
    }, { code: 1002, reason: 'protocol mismatch' });
  });

  test('protocol 5..6 → PROTOCOL_MISMATCH (checked before auth: no token needed to learn it)', async () => {
    const out = await connect(connectParams({ minProtocol: 5, maxProtocol: 6 }));
    await assertRefused(out, {
      code: 'INVALID_REQUEST', message: 'protocol mismatch',
      details: { code: 'PROTOCOL_MISMATCH', clientMinProtocol: 5, clientMaxProtocol: 6, expectedProtocol: 4, minimumProbeProtocol: 3 },
    }, { code: 1002, reason: 'protocol mismatch' });
  });

  test('probe mode with 3..3 is accepted and answered with protocol 4', async () => {
    const { c, res } = await connect(connectParams({
      minProtocol: 3, maxProtocol: 3, client: { id: 'openclaw-probe', mode: 'probe' }, ...tokenAuth,
    }));
    assert.equal(res.ok, true, JSON.stringify(res.error));
    assert.equal(res.payload.protocol, 4);
    await c.close();
  });

  test('probe mode with 2..2 is still a mismatch', async () => {
    const out = await connect(connectParams({ minProtocol: 2, maxProtocol: 2, client: { id: 'openclaw-probe', mode: 'probe' }, ...tokenAuth }));
    await assertRefused(out, {
      code: 'INVALID_REQUEST', message: 'protocol mismatch',
      details: { code: 'PROTOCOL_MISMATCH', clientMinProtocol: 2, clientMaxProtocol: 2, expectedProtocol: 4, minimumProbeProtocol: 3 },
    }, { code: 1002, reason: 'protocol mismatch' });
  });

  test('role "admin" → INVALID_REQUEST "invalid role", close 1008 "invalid role"', async () => {
    const out = await connect(connectParams({ role: 'admin', ...tokenAuth }));
    await assertRefused(out, { code: 'INVALID_REQUEST', message: 'invalid role' }, { code: 1008, reason: 'invalid role' });
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('§6 shared-secret authentication', () => {
  const WRONG = { auth: { token: 'definitely-not-the-token-0123456789' } };
  const mismatch = (hint: string) => ({
    code: 'INVALID_REQUEST', message: `unauthorized: gateway token mismatch ${hint}`,
    details: { code: 'AUTH_TOKEN_MISMATCH', authReason: 'token_mismatch', canRetryWithDeviceToken: false, recommendedNextStep: 'update_auth_credentials' },
  });

  test('wrong token, gateway-client/backend → "(provide gateway auth token)", AUTH_TOKEN_MISMATCH, close 1008', async () => {
    await assertRefused(await connect(connectParams(WRONG)), mismatch(DEFAULT_HINT), { code: 1008 });
  });

  test('wrong token, local cli → the local cli hint', async () => {
    await assertRefused(await connect(connectParams({ ...cliClient, ...WRONG })), mismatch(LOCAL_CLI_HINT), { code: 1008 });
  });

  test('wrong token, cli behind a forwarding header (remote) → the remote cli hint', async () => {
    const out = await connect(connectParams({ ...cliClient, ...WRONG }), { headers: { 'X-Forwarded-For': '203.0.113.9' } });
    await assertRefused(out, mismatch(REMOTE_CLI_HINT), { code: 1008 });
  });

  test('wrong token, webchat → the Control UI hint; test client → the default hint', async () => {
    await assertRefused(await connect(connectParams({ client: { id: 'webchat', mode: 'webchat' }, ...WRONG })), mismatch(CONTROL_UI_HINT), { code: 1008 });
    await assertRefused(await connect(connectParams({ client: { id: 'test', mode: 'test' }, ...WRONG })), mismatch(DEFAULT_HINT), { code: 1008 });
  });

  test('wrong token sent as auth.password → the same mismatch', async () => {
    await assertRefused(await connect(connectParams({ auth: { password: WRONG.auth.token } })), mismatch(DEFAULT_HINT), { code: 1008 });
  });

  test('the token sent as auth.password is accepted (hello auth.method "token")', async () => {
    const { c, res } = await connect(connectParams({ scopes: ['operator.read'], auth: { password: TOKEN } }));
    assert.equal(res.ok, true, JSON.stringify(res.error));
    assert.deepEqual(res.payload.auth, { method: 'token', role: 'operator', scopes: ['operator.read'] });
    await c.close();
  });

  test('no token and no device → NOT_PAIRED "device identity required" DEVICE_IDENTITY_REQUIRED, close 1008 (token "" counts as none)', async () => {
    const expected = { code: 'NOT_PAIRED', message: 'device identity required', details: { code: 'DEVICE_IDENTITY_REQUIRED' } };
    await assertRefused(await connect(connectParams(cliClient)), expected, { code: 1008 });
    await assertRefused(await connect(connectParams({ ...cliClient, auth: { token: '' } })), expected, { code: 1008 });
    await assertRefused(await connect(connectParams({ auth: {} })), expected, { code: 1008 });
  });

  test('a device but no token → AUTH_TOKEN_MISSING "gateway token missing", update_auth_configuration, close 1008', async () => {
    const c = await raw();
    const challenge = c.frames[0];
    c.send({ type: 'req', id: 'c1', method: 'connect', params: connectParams({ ...cliClient, device: fakeDevice(challenge.payload.nonce) }) });
    await assertRefused({ c, res: await c.res('c1') }, {
      code: 'INVALID_REQUEST', message: `unauthorized: gateway token missing ${LOCAL_CLI_HINT}`,
      details: { code: 'AUTH_TOKEN_MISSING', authReason: 'token_missing', canRetryWithDeviceToken: false, recommendedNextStep: 'update_auth_configuration' },
    }, { code: 1008 });
  });

  test('a query-string token is never accepted', async () => {
    // no auth in params: the query token does not count → device identity required
    const out = await connectRaw(wsUrl(tg.port, `/?token=${encodeURIComponent(TOKEN)}`), connectParams(cliClient));
    track(out.c);
    await assertRefused(out, { code: 'NOT_PAIRED', message: 'device identity required', details: { code: 'DEVICE_IDENTITY_REQUIRED' } }, { code: 1008 });
    // a wrong params token is not rescued by a right query token
    const out2 = await connectRaw(wsUrl(tg.port, `/?token=${encodeURIComponent(TOKEN)}&password=${encodeURIComponent(TOKEN)}`),
      connectParams({ ...cliClient, ...WRONG }));
    track(out2.c);
    await assertRefused(out2, mismatch(LOCAL_CLI_HINT), { code: 1008 });
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('§6.5 auth-failure rate limit', () => {
  let rl: TestGateway;
  before(async () => {
    rl = await startTestGateway({ token: TOKEN });
  });
  after(async () => {
    await rl?.close();
  });
  const wrong = { auth: { token: 'definitely-not-the-token-0123456789' } };

  test('direct_local sockets without Origin are exempt: 12 failures, all AUTH_TOKEN_MISMATCH, then the right token connects', async () => {
    for (let i = 0; i < 12; i++) {
      const out = await connectRaw(wsUrl(rl.port), connectParams(wrong));
      track(out.c);
      assert.equal(out.res.error.details.code, 'AUTH_TOKEN_MISMATCH', `attempt ${i + 1}`);
      await closedWith(out.c);
    }
    const ok = await connectRaw(wsUrl(rl.port), connectParams({ scopes: ['operator.read'], ...tokenAuth }));
    track(ok.c);
    assert.equal(ok.res.ok, true);
    await ok.c.close();
  });

  async function failUntilLimited(params: Record<string, any>, options: Record<string, any>): Promise<void> {
    const attempt = async () => {
      const out = await connectRaw(wsUrl(rl.port), params, options);
      track(out.c);
      const info = await closedWith(out.c);
      return { res: out.res, info };
    };
    for (let i = 0; i < 10; i++) assert.equal((await attempt()).res.error.details.code, 'AUTH_TOKEN_MISMATCH', `attempt ${i + 1}`);
    const { res, info } = await attempt();
    assert.equal(res.ok, false);
    assert.equal(res.error.code, 'INVALID_REQUEST');
    assert.deepEqual(res.error.details, { code: 'AUTH_RATE_LIMITED', authReason: 'rate_limited', canRetryWithDeviceToken: false, recommendedNextStep: 'wait_then_retry' });
    assert.equal(res.error.retryable, true);
    assert.ok(Number.isSafeInteger(res.error.retryAfterMs) && res.error.retryAfterMs > 0, `retryAfterMs ${res.error.retryAfterMs}`);
    assert.deepEqual({ code: info.code, reason: info.reason }, { code: 1008, reason: res.error.message });
  }

  test('10 failures with an Origin header (no loopback exemption) → the 11th is AUTH_RATE_LIMITED, retryable, wait_then_retry, close 1008', async () => {
    await failUntilLimited(connectParams({ client: { id: 'webchat', mode: 'webchat' }, ...wrong }), { origin: `http://127.0.0.1:${rl.port}` });
  });

  test('10 failures from a loopback peer with a forwarding header (remote) → the 11th is AUTH_RATE_LIMITED; direct-local sockets stay exempt', async () => {
    await failUntilLimited(connectParams(wrong), { headers: { 'X-Forwarded-For': '198.51.100.7' } });
    const ok = await connectRaw(wsUrl(rl.port), connectParams({ scopes: ['operator.read'], ...tokenAuth }));
    track(ok.c);
    assert.equal(ok.res.ok, true, 'a direct-local socket without Origin is not locked out');
    await ok.c.close();
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('§6.4 Control UI and device-less scopes', () => {
  test('Control UI client without Origin → CONTROL_UI_ORIGIN_NOT_ALLOWED, close 1008 with the message', async () => {
    for (const id of ['openclaw-control-ui', 'openclaw-browser-copilot', 'openclaw-tui']) {
      const out = await connect(connectParams({ client: { id, mode: 'ui' }, ...tokenAuth }));
      await assertRefused(out, {
        code: 'INVALID_REQUEST', message: ORIGIN_NOT_ALLOWED,
        details: { code: 'CONTROL_UI_ORIGIN_NOT_ALLOWED', reason: 'origin missing or invalid' },
      }, { code: 1008 });
    }
  });

  test('Control UI client with the gateway\'s own Origin and a token but no device → CONTROL_UI_DEVICE_IDENTITY_REQUIRED', async () => {
    const out = await connect(connectParams({ client: { id: 'openclaw-control-ui', mode: 'ui' }, ...tokenAuth }),
      { origin: `http://127.0.0.1:${tg.port}` });
    await assertRefused(out, {
      code: 'INVALID_REQUEST', message: 'control ui requires device identity (use HTTPS or localhost secure context)',
      details: { code: 'CONTROL_UI_DEVICE_IDENTITY_REQUIRED' },
    }, { code: 1008 });
  });

  const missingRead = {
    code: 'FORBIDDEN', message: 'missing scope: operator.read',
    details: { code: 'MISSING_SCOPE', missingScope: 'operator.read', requiredScopes: ['operator.read'] },
  };

  test('device-less: gateway-client/backend and cli/cli on loopback keep their requested scopes', async () => {
    for (const client of [{ id: 'gateway-client', mode: 'backend' }, { id: 'cli', mode: 'cli' }]) {
      const { c, res } = await connect(connectParams({ client, scopes: ['operator.read', 'operator.write'], ...tokenAuth }));
      assert.equal(res.ok, true, JSON.stringify(res.error));
      assert.deepEqual(res.payload.auth.scopes, ['operator.read', 'operator.write'], `${client.id}/${client.mode}`);
      assert.equal((await c.call('status', {})).ok, true, 'operator.read method allowed');
      await c.close();
    }
  });

  test('device-less: every other client gets [] and an operator.read method → FORBIDDEN missing scope: operator.read', async () => {
    const cases: [Record<string, string>, Record<string, unknown>][] = [
      [{ id: 'test', mode: 'test' }, {}],
      [{ id: 'webchat', mode: 'webchat' }, {}],
      [{ id: 'gateway-client', mode: 'cli' }, {}],
      [{ id: 'cli', mode: 'backend' }, {}],
      [{ id: 'openclaw-linux', mode: 'ui' }, {}],
      // loopback peer but a forwarding header: not direct_local (§9)
      [{ id: 'gateway-client', mode: 'backend' }, { headers: { 'X-Forwarded-For': '127.0.0.1' } }],
      [{ id: 'cli', mode: 'cli' }, { headers: { Forwarded: 'for=127.0.0.1' } }],
    ];
    for (const [client, options] of cases) {
      const what = `${client.id}/${client.mode} ${JSON.stringify(options)}`;
      const { c, res } = await connect(connectParams({ client, scopes: ['operator.admin', 'operator.read'], ...tokenAuth }), options);
      assert.equal(res.ok, true, `${what}: ${JSON.stringify(res.error)}`);
      assert.deepEqual(res.payload.auth.scopes, [], what);
      const status = await c.call('status', {});
      assert.equal(status.ok, false, what);
      assert.deepEqual(status.error, missingRead, what);
      await assertOpenAndServing(c);
      await c.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('§7 dispatch errors after hello', () => {
  const missingAdmin = {
    code: 'FORBIDDEN', message: 'missing scope: operator.admin',
    details: { code: 'MISSING_SCOPE', missingScope: 'operator.admin', requiredScopes: ['operator.admin'] },
  };

  test('connect again: with operator.admin → "connect is only valid as the first request"; without → missing scope; socket stays open', async () => {
    const admin = track(await operator(tg.port, ['operator.admin']));
    const again = await admin.call('connect', connectParams(tokenAuth));
    assert.deepEqual(again.error, { code: 'INVALID_REQUEST', message: 'connect is only valid as the first request' });
    await assertOpenAndServing(admin);

    const reader = track(await operator(tg.port, ['operator.read', 'operator.write']));
    const again2 = await reader.call('connect', connectParams(tokenAuth));
    assert.deepEqual(again2.error, missingAdmin);
    await assertOpenAndServing(reader);
    await Promise.all([admin.close(), reader.close()]);
  });

  test('unknown method: with operator.admin → "unknown method: <name>"; without → missing scope: operator.admin', async () => {
    const admin = track(await operator(tg.port, ['operator.admin']));
    assert.deepEqual((await admin.call('talk.mode', {})).error, { code: 'INVALID_REQUEST', message: 'unknown method: talk.mode' });
    const reader = track(await operator(tg.port, ['operator.read']));
    assert.deepEqual((await reader.call('talk.mode', {})).error, missingAdmin);
    await assertOpenAndServing(admin);
    await assertOpenAndServing(reader);
    await Promise.all([admin.close(), reader.close()]);
  });

  test('a node-only method from an operator → INVALID_REQUEST "unauthorized role: operator" (even with admin)', async () => {
    const admin = track(await operator(tg.port, ['operator.admin']));
    for (const method of ['node.invoke.result', 'node.event', 'skills.bins']) {
      const res = await admin.call(method, {});
      assert.deepEqual(res.error, { code: 'INVALID_REQUEST', message: 'unauthorized role: operator' }, method);
    }
    await assertOpenAndServing(admin);
    await admin.close();
  });

  test('11 consecutive role-unauthorized calls → 11 answers, then close 1008 "repeated unauthorized calls"', async () => {
    const c = track(await operator(tg.port, ['operator.admin']));
    for (let i = 0; i < 11; i++) c.send({ type: 'req', id: `u${i}`, method: 'node.event', params: {} });
    const info = await closedWith(c);
    assert.deepEqual({ code: info.code, reason: info.reason }, { code: 1008, reason: 'repeated unauthorized calls' });
    const answered = c.frames.filter((f) => f.type === 'res' && f.id.startsWith('u'));
    assert.equal(answered.length, 11);
    for (const r of answered) assert.equal(r.error.message, 'unauthorized role: operator');
  });

  test('10 role-unauthorized calls, an allowed call, 10 more → the streak resets and the socket stays open', async () => {
    const c = track(await operator(tg.port, ['operator.admin']));
    for (let i = 0; i < 10; i++) c.send({ type: 'req', id: `a${i}`, method: 'node.event', params: {} });
    await c.res('a9');
    assert.equal((await c.call('health', {})).ok, true);
    for (let i = 0; i < 10; i++) c.send({ type: 'req', id: `b${i}`, method: 'node.event', params: {} });
    await c.res('b9');
    await assertOpenAndServing(c);
    await c.close();
  });

  test('params failing the schema → "invalid <method> params: must have required property \'idempotencyKey\'"', async () => {
    const c = track(await operator(tg.port, ['operator.admin']));
    const agent = await c.call('agent', { message: 'hi' });
    assert.deepEqual(agent.error, { code: 'INVALID_REQUEST', message: "invalid agent params: must have required property 'idempotencyKey'" });
    const chat = await c.call('chat.send', { sessionKey: 'agent:main:x', message: 'hi' });
    assert.deepEqual(chat.error, { code: 'INVALID_REQUEST', message: "invalid chat.send params: must have required property 'idempotencyKey'" });
    await assertOpenAndServing(c);
    await c.close();
  });

  test('a malformed req after hello → res with the frame\'s id or "invalid"; the socket stays open', async () => {
    const c = track(await operator(tg.port, ['operator.admin']));
    c.send({ type: 'req', id: 'm1', method: '' });
    assert.deepEqual((await c.res('m1')).error, { code: 'INVALID_REQUEST', message: 'invalid request frame: at /method: must not have fewer than 1 characters' });
    c.send({ type: 'req', id: 'm2', method: 'health', extra: 1 });
    assert.deepEqual((await c.res('m2')).error, { code: 'INVALID_REQUEST', message: "invalid request frame: at root: unexpected property 'extra'" });
    c.send({ type: 'req', method: 'health' });
    assert.deepEqual((await c.res('invalid')).error, { code: 'INVALID_REQUEST', message: "invalid request frame: must have required property 'id'" });
    await assertOpenAndServing(c);
    await c.close();
  });

  test('a malformed req with an empty id after hello → res id "invalid" (a res id must be non-empty)', async () => {
    const c = track(await operator(tg.port, ['operator.admin']));
    c.send({ type: 'req', id: '', method: 'health' });
    const res = await c.next((f) => f.type === 'res' && !String(f.id).startsWith('connect'), WAIT_MS, 'the res');
    assert.equal(res.id, 'invalid');
    assert.deepEqual(res.error, { code: 'INVALID_REQUEST', message: 'invalid request frame: at /id: must not have fewer than 1 characters' });
    await assertOpenAndServing(c);
    await c.close();
  });

  test('non-JSON after hello is ignored: no answer, the socket stays open and usable', async () => {
    const c = track(await operator(tg.port, ['operator.admin']));
    const before = c.frames.length;
    c.sendRaw('this is not json');
    c.sendRaw('{"type":"req"');
    await assertOpenAndServing(c);
    const after = c.frames.slice(before).filter((f) => f.type === 'res');
    assert.equal(after.length, 1, 'only the health res');
    await c.close();
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('§3.2 close reasons', () => {
  test('a close reason is the message truncated to ≤ 120 bytes without splitting a UTF-8 sequence', async () => {
    for (const ch of ['é', '€', '😀', 'x']) {
      const prop = ch.repeat(80);
      const out = await connect({ ...connectParams(tokenAuth), client: { ...connectParams().client, [prop]: 1 } });
      const message = `invalid connect params: at /client: unexpected property '${prop}'`;
      assert.deepEqual(out.res.error, { code: 'INVALID_REQUEST', message });
      const info = await closedWith(out.c);
      assert.equal(info.code, 1008);
      assert.ok(info.reasonBytes <= 120, `${ch}: ${info.reasonBytes} bytes`);
      assert.ok(info.reasonBytes > 120 - Buffer.byteLength(ch), `${ch}: cut at the last whole character (${info.reasonBytes} bytes)`);
      assert.ok(message.startsWith(info.reason), `${ch}: the reason is a prefix of the message`);
      assert.equal(info.reason.includes('\uFFFD'), false);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// SLOW (~10 s): the handshake deadline cannot be configured below 10 000 ms.
describe('§3.2 handshake deadline (slow: ~10 s)', () => {
  let slow: TestGateway;
  before(async () => {
    slow = await startTestGateway({ token: TOKEN, handshakeTimeoutMs: 10_000 });
  });
  after(async () => {
    await slow?.close();
  });

  test('SLOW: no hello within handshakeTimeoutMs → close 1000 with an empty reason, no res (idle, or connect still pending); a connected socket is unaffected', async () => {
    let release!: () => void;
    const hold = new Promise<void>((r) => { release = r; });
    holdAdmission(slow, (params) => ((params.client as any).displayName === 'held' ? hold : undefined));
    const idle = await openRaw(wsUrl(slow.port));
    const pending = await openRaw(wsUrl(slow.port));
    const connected = await operator(slow.port, ['operator.read']);
    try {
      await pending.next((f) => f.event === 'connect.challenge', WAIT_MS, 'challenge');
      pending.send({ type: 'req', id: 'c1', method: 'connect', params: connectParams({ client: { displayName: 'held' }, ...tokenAuth }) });
      for (const c of [idle, pending]) {
        const info = await bounded(c.closed, 20_000, 'the handshake deadline');
        assert.deepEqual({ code: info.code, reason: info.reason }, { code: 1000, reason: '' });
        assert.deepEqual(c.frames.map((f) => f.event ?? f.type), ['connect.challenge'], 'no res');
      }
      await assertOpenAndServing(connected);
    } finally {
      release();
      await Promise.all([idle.close(), pending.close(), connected.close()]);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
test('every frame the gateway sent in this file is a valid, closed res or event frame (spec §2)', () => {
  let checked = 0;
  for (const c of seen) {
    for (const f of c.frames) {
      assert.notEqual(f.type, '<raw>', 'every frame is JSON');
      const validator = SERVER_FRAME_VALIDATORS[f.type as 'res' | 'event'];
      assert.ok(validator, `frame type ${f.type}`);
      assert.ok(validator.Check(f), `${JSON.stringify(f).slice(0, 200)}: ${formatValidationErrors(validator.Errors(f) as never)}`);
      checked++;
    }
  }
  assert.ok(checked > 100, `${checked} frames checked`);
});
