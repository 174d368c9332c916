import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { validateServerFrame } from '../../../protocol/validators.js';
import { killAll, type CliProcess } from '../../helpers/cli.js';
import { startCliGateway } from '../../helpers/cli-gateway.js';
import { createTestDevice, type TestDevice } from '../../helpers/device.js';
import { devicePayload } from '../../helpers/device-connect.js';
import {
  connectParamsOf, connectSpec, frameOf, frameSpec, PROTO_NAMES, render, type ConnectSpec, type FrameSpec,
} from '../../helpers/fuzz-frames.js';
import { FuzzSocket, type Answer } from '../../helpers/fuzz-socket.js';

// Issue 6 item 1, property-based: random frames — every Object.prototype member name among the methods,
// scopes, param keys and ids — thrown at a live gateway (the built CLI, real server, ephemeral port), before
// and after a successful connect, with and without scopes, as an operator and as a node. The gateway must stay
// up and answer every request frame with an error or a valid response: never silence, never a crash.
//
// The seed is fixed (FUZZ_SEED overrides it); on failure fast-check prints the seed, the path and the frame.
// Shrinking is off (endOnFailure): after a crash every further attempt would only wait for silence.

const TOKEN = 'fuzz-token-0123456789abcdef-0123456789';
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : 20_260_906;
const RUNS = 2_000;

type Pooled = 'admin' | 'none' | 'proto' | 'node';
type Case =
  | { target: Pooled | 'preauth' | 'pipelined'; frame: FrameSpec }
  | { target: 'connect'; connect: ConnectSpec };

const caseArb: fc.Arbitrary<Case> = fc.oneof(
  // mostly frames on the pooled sockets; a fresh socket per frame (preauth, pipelined, connect) costs more
  { weight: 21, arbitrary: fc.record({ target: fc.constantFrom<Pooled | 'preauth' | 'pipelined'>(
    'admin', 'admin', 'admin', 'admin', 'admin', 'admin', 'none', 'none', 'none', 'none', 'proto', 'proto', 'proto', 'proto',
    'node', 'node', 'node', 'node', 'preauth', 'preauth', 'pipelined'), frame: frameSpec }) },
  { weight: 2, arbitrary: fc.record({ target: fc.constant<'connect'>('connect'), connect: connectSpec }) },
);

/** Every prototype name at least once as method, id, param key, node invocation id and connect scope. */
const examples: [Case][] = PROTO_NAMES.flatMap((p): [Case][] => [
  [{ target: 'none', frame: { type: 'req', id: '$ID', method: p, params: { entries: [] }, extra: [] } }],
  [{ target: 'admin', frame: { type: 'req', id: p, method: p, params: { entries: [[p, p]] }, extra: [[p, p]] } }],
  [{ target: 'proto', frame: { type: 'req', id: '$ID', method: 'sessions.list', params: { entries: [[p, 1]] }, extra: [] } }],
  [{ target: 'node', frame: { type: 'req', id: '$ID', method: 'node.invoke.result', params: { entries: [['id', p], ['nodeId', '$NODE'], ['ok', true]] }, extra: [] } }],
  [{ target: 'preauth', frame: { type: 'req', id: p, method: p, extra: [] } }],
  [{ target: 'connect', connect: {
    role: 'operator', scopes: [p, '__proto__'], clientId: 'gateway-client', mode: 'backend', token: '$TOKEN', clientExtra: [], extra: [],
    follow: { type: 'req', id: '$ID', method: p, params: { entries: [] }, extra: [] },
  } }],
]);

let gw: CliProcess;
let port: number;
const device: TestDevice = createTestDevice();
const pool = new Map<Pooled, FuzzSocket>();
let seq = 0;
let framesSent = 0;
/** Server closes a pooled socket may legitimately get (the answer to the frame went out first). */
const ALLOWED_CLOSES = new Set(['1008 repeated unauthorized calls', '4001 device removed']);

before(async () => {
  ({ proc: gw, port } = await startCliGateway(TOKEN));
});

after(async () => {
  await Promise.all([...pool.values()].map((s) => s.end()));
  await killAll();
});

const subst = (s: string) => (s === '$ID' ? `f${++seq}` : s === '$NODE' ? device.deviceId : s === '$TOKEN' ? TOKEN : s);

function renderFrame(spec: FrameSpec): { text: string; parsed: unknown } {
  let model = frameOf(spec);
  // agent.wait long-polls (30 s by default): capped at 0 ms so its answer is due at once like every other
  if (spec.method === 'agent.wait' && spec.params && typeof spec.params === 'object' && !Array.isArray(spec.params)) {
    model = frameOf({ ...spec, params: { entries: [...spec.params.entries, ['timeoutMs', 0]] } });
  }
  const text = render(model, subst);
  return { text, parsed: JSON.parse(text) };
}

/** The id the answer carries: the frame's own if it is a non-empty string, else `invalid` (as the server does). */
function answerId(parsed: unknown): string {
  const id = parsed && typeof parsed === 'object' ? (parsed as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id !== '' ? id : 'invalid';
}

function checkRes(res: Record<string, any>, text: string): void {
  const valid = validateServerFrame(res);
  assert.ok(valid.ok, `answer to ${text} is not a valid res frame: ${!valid.ok && valid.message}\n${JSON.stringify(res)}`);
  if (!res.ok) assert.notEqual(res.error.message, 'internal error', `a method handler threw on ${text}`);
}

/** Whether the gateway process is gone, and its last words. */
function gatewayState(): string {
  return gw.running ? '' : `\nthe gateway exited (code ${gw.child.exitCode}); stderr:\n${gw.stderr.slice(-2000)}`;
}

async function exchange(s: FuzzSocket, text: string, id: string): Promise<Answer> {
  framesSent++;
  return s.answer(s.send(text), id);
}

/** The failure for a frame that got only a close. */
async function unanswered(label: string, close: { code: number; reason: string }, text: string): Promise<never> {
  await new Promise((r) => setTimeout(r, 200)); // let a dying gateway's exit be seen
  throw new Error(`${label}: closed ${close.code} "${close.reason}" without answering ${text}${gatewayState()}`);
}

async function request(s: FuzzSocket, text: string, id: string): Promise<Record<string, any>> {
  const answer = await exchange(s, text, id);
  if (answer.kind === 'closed') return unanswered(s.label, answer, text);
  checkRes(answer.frame, text);
  return answer.frame;
}

async function connect(s: FuzzSocket, paramsText: string): Promise<Record<string, any>> {
  const id = `c${++seq}`;
  return request(s, `{"type":"req","id":"${id}","method":"connect","params":${paramsText}}`, id);
}

function operatorParams(scopes: string[]): Record<string, unknown> {
  return {
    minProtocol: 4, maxProtocol: 4, client: { id: 'gateway-client', version: '1.0.0', platform: 'linux', mode: 'backend' },
    role: 'operator', scopes, auth: { token: TOKEN },
  };
}

function nodeParams(challenge: { nonce: string; ts: number }): Record<string, unknown> {
  const { nonce, ts } = challenge;
  const payload = devicePayload('v3', {
    deviceId: device.deviceId, clientId: 'node-host', mode: 'node', role: 'node', scopes: [], signedAt: ts, token: TOKEN, nonce, platform: 'linux',
  });
  return {
    minProtocol: 4, maxProtocol: 4, client: { id: 'node-host', version: '1.0.0', platform: 'linux', mode: 'node' },
    role: 'node', scopes: [], caps: [], auth: { token: TOKEN },
    device: { id: device.deviceId, publicKey: device.publicKey, signature: device.sign(payload), signedAt: ts, nonce },
  };
}

const POOLED_SCOPES: Record<Exclude<Pooled, 'node'>, string[]> = {
  admin: ['operator.admin'],
  none: [],
  proto: ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'operator.read'],
};

/** The pooled socket of a kind, reconnected if the server closed it (only for an allowed reason). */
async function pooled(kind: Pooled): Promise<FuzzSocket> {
  const s = pool.get(kind);
  if (s && !s.close) return s;
  if (s?.close) assert.ok(ALLOWED_CLOSES.has(`${s.close.code} ${s.close.reason}`), `${kind} socket closed: ${s.close.code} "${s.close.reason}"`);
  const fresh = await FuzzSocket.open(port, kind);
  const hello = await connect(fresh, JSON.stringify(kind === 'node' ? nodeParams(fresh.challenge) : operatorParams(POOLED_SCOPES[kind])));
  assert.equal(hello.ok, true, `${kind} connect: ${JSON.stringify(hello.error)}`);
  pool.set(kind, fresh);
  return fresh;
}

async function afterHello(s: FuzzSocket, spec: FrameSpec): Promise<void> {
  const { text, parsed } = renderFrame(spec);
  await request(s, text, answerId(parsed));
}

/** A frame on a pooled socket. The server may have closed it (for an allowed reason, after answering an earlier
 *  frame) while this frame was on its way: then the frame goes again, on a fresh socket, and must be answered. */
async function onPooled(kind: Pooled, spec: FrameSpec): Promise<void> {
  const { text, parsed } = renderFrame(spec);
  const id = answerId(parsed);
  const s = await pooled(kind);
  const answer = await exchange(s, text, id);
  if (answer.kind === 'res') return checkRes(answer.frame, text);
  if (!ALLOWED_CLOSES.has(`${answer.code} ${answer.reason}`)) return unanswered(kind, answer, text);
  await request(await pooled(kind), text, id);
}

/** The first frame of a fresh socket: a request frame is answered (then closed unless it was a good connect). */
async function beforeHello(spec: FrameSpec): Promise<void> {
  const s = await FuzzSocket.open(port, 'preauth');
  try {
    const { text, parsed } = renderFrame(spec);
    const isRequest = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && (parsed as { type?: unknown }).type === 'req';
    if (isRequest) {
      await request(s, text, answerId(parsed));
    } else {
      framesSent++;
      s.send(text);
      const close = await s.closed();
      assert.equal(close.code, 1008, `not a request frame: closed 1008, got ${close.code} for ${text}`);
    }
  } finally {
    await s.end();
  }
}

/** A good connect with the frame right behind it: the frame waits for the hello, then is answered. */
async function pipelined(spec: FrameSpec): Promise<void> {
  const s = await FuzzSocket.open(port, 'pipelined');
  try {
    const id = `c${++seq}`;
    const { text, parsed } = renderFrame(spec);
    framesSent += 2;
    const from = s.send(JSON.stringify({ type: 'req', id, method: 'connect', params: operatorParams(['operator.admin']) }));
    s.send(text);
    const hello = await s.answer(from, id);
    assert.ok(hello.kind === 'res' && hello.frame.ok, `pipelined connect: ${JSON.stringify(hello)}`);
    const answer = await s.answer(from, answerId(parsed));
    if (answer.kind === 'closed') return unanswered('pipelined', answer, text);
    checkRes(answer.frame, text);
  } finally {
    await s.end();
  }
}

/** A fuzzed connect is answered; once accepted, the socket answers a fuzzed request too. */
async function fuzzedConnect(spec: ConnectSpec): Promise<void> {
  const s = await FuzzSocket.open(port, 'connect');
  try {
    const hello = await connect(s, render(connectParamsOf(spec), subst));
    if (hello.ok) await afterHello(s, spec.follow);
  } finally {
    await s.end();
  }
}

async function runCase(c: Case): Promise<void> {
  if (!gw.running) throw new Error(gatewayState());
  if (c.target === 'connect') return fuzzedConnect(c.connect);
  if (c.target === 'preauth') return beforeHello(c.frame);
  if (c.target === 'pipelined') return pipelined(c.frame);
  return onPooled(c.target, c.frame);
}

test(`${RUNS} random frames (seed ${SEED}) are each answered, and the gateway stays up`, { timeout: 180_000 }, async () => {
  await fc.assert(fc.asyncProperty(caseArb, runCase), { seed: SEED, numRuns: RUNS, examples, endOnFailure: true, includeErrorInReport: true });
  assert.ok(framesSent >= RUNS, `only ${framesSent} frames were sent`);
  assert.ok(gw.running, 'the gateway is still running');
  // one more socket: still admitted, still answering
  const admin = await FuzzSocket.open(port, 'final');
  assert.equal((await connect(admin, JSON.stringify(operatorParams(['operator.admin'])))).ok, true);
  assert.equal((await request(admin, '{"type":"req","id":"last","method":"health"}', 'last')).ok, true);
  await admin.end();
  // nothing failed inside: no actor failure, no handler exception (pino level 50 = error)
  const errors = gw.logLines().filter((l) => typeof l.level === 'number' && l.level >= 50);
  assert.deepEqual(errors.map((l) => l.msg), [], `error log lines: ${JSON.stringify(errors.slice(0, 3))}`);
});
