import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TSchema } from 'typebox';
import { Validator } from 'typebox/compile';
import { Value } from 'typebox/value';
import { renderSchemaDocument, SCHEMA_DOCUMENT_PATH } from '../../protocol/document.js';
import {
  DEFINITIONS, EVENT_PAYLOADS, EventFrame, METHOD_PARAMS, METHOD_RESULTS, RequestFrame, ResponseFrame, SessionRow,
} from '../../protocol/index.js';
import { PUBLISHED_EVENTS, PUBLISHED_PARAMS, PUBLISHED_RESULTS } from '../../protocol/published.js';
import {
  EVENT_PAYLOAD_VALIDATORS, PARAMS_VALIDATORS, REQUEST_FRAME_VALIDATOR, RESULT_VALIDATORS, SERVER_FRAME_VALIDATORS,
  formatValidationErrors, validateConnectParams, validateFrame, validateParams, validateServerFrame,
} from '../../protocol/validators.js';
import { coverageProblems, loadPublishedDocument, publishedSchemaAt } from '../helpers/published-schema.js';

// protocol/ against itself (generated file, closedness, error texts, compile-once) and against the published
// OpenClaw schema (params accept everything published allows; outbound shapes stay inside published + additions).

const published = loadPublishedDocument() as { definitions: Record<string, any>; methods: Record<string, unknown> };
const plain = (schema: TSchema) => JSON.parse(JSON.stringify(schema));

test('protocol/schema.json is what `npm run protocol:gen` writes now', () => {
  const expected = renderSchemaDocument();
  let actual = '';
  try {
    actual = readFileSync(SCHEMA_DOCUMENT_PATH, 'utf8');
  } catch { /* missing counts as stale */ }
  assert.ok(actual === expected,
    `${fileURLToPath(SCHEMA_DOCUMENT_PATH)} is out of date with protocol/*.ts: run \`npm run protocol:gen\` and commit the result`);
  const doc = JSON.parse(actual);
  assert.deepEqual(Object.keys(doc.methods), Object.keys(METHOD_PARAMS).sort());
  assert.deepEqual(Object.keys(doc.events), Object.keys(EVENT_PAYLOADS).sort());
  assert.ok(actual.endsWith('}\n'));
});

test('METHOD_PARAMS covers connect and the core methods, all published as OpenClaw methods', () => {
  const core = [
    'health', 'status', 'system-presence', 'last-heartbeat', 'send', 'agent', 'agent.wait', 'chat.send', 'chat.history',
    'chat.abort', 'sessions.list', 'sessions.subscribe', 'sessions.messages.subscribe', 'sessions.messages.unsubscribe', 'sessions.reset',
    'channels.status', 'channels.logout', 'channels.start', 'channels.stop', 'channels.pairing.list',
    'channels.pairing.approve', 'channels.pairing.reject', 'channels.pairing.dismiss', 'web.login.start', 'web.login.wait', 'device.pair.list', 'device.pair.approve', 'device.pair.reject', 'device.pair.remove',
    'device.token.rotate', 'device.token.revoke', 'node.pair.list', 'node.pair.approve', 'node.pair.reject',
    'node.pair.remove', 'node.list', 'node.describe', 'node.invoke', 'node.invoke.result', 'node.invoke.progress',
    'node.event',
  ];
  // Clawgate-only methods: not OpenClaw's (web-surfaces.md I4)
  const clawgate = ['clawgate.inspect.ticket'];
  assert.deepEqual(Object.keys(METHOD_PARAMS).sort(), ['connect', ...core, ...clawgate].sort());
  // `channels.pairing.reject` is Clawgate's name for the published `channels.pairing.dismiss` (channels.md §5.1).
  for (const method of Object.keys(METHOD_PARAMS).filter((m) => m !== 'channels.pairing.reject' && !clawgate.includes(m))) {
    assert.ok(method in published.methods, `${method} is not an OpenClaw method`);
  }
  assert.ok('channels.pairing.dismiss' in published.methods);
  // `sessions.unsubscribe` is only to be served if published; it is not.
  assert.ok(!('sessions.unsubscribe' in published.methods));
});

test('the published-name map is complete: methods without it have no published params definition', () => {
  for (const [method, name] of Object.entries(PUBLISHED_PARAMS)) {
    assert.ok(method in METHOD_PARAMS, method);
    assert.ok(name in published.definitions, `${name} missing from the published schema`);
  }
  const pascal = (m: string) => m.split(/[.-]/).map((p) => p[0].toUpperCase() + p.slice(1)).join('');
  for (const method of Object.keys(METHOD_PARAMS).filter((m) => !(m in PUBLISHED_PARAMS))) {
    assert.ok(!(`${pascal(method)}Params` in published.definitions), `${method} has a published params definition`);
  }
});

test('every params schema accepts every property the published one allows; required sets no stricter', () => {
  for (const [method, name] of Object.entries(PUBLISHED_PARAMS)) {
    const ours = plain(METHOD_PARAMS[method]);
    const theirs = published.definitions[name];
    assert.equal(ours.additionalProperties, false, `${method} params must be closed`);
    assert.deepEqual(coverageProblems(ours, theirs, method), [], `${method}: our params reject values ${name} allows`);
  }
});

test('every property name of published params (nested closed objects too) exists in ours', () => {
  const names = (s: any, path: string, out: Set<string>) => {
    for (const branch of s.anyOf ?? []) names(branch, path, out);
    for (const [k, v] of Object.entries<any>(s.properties ?? {})) { out.add(`${path}.${k}`); names(v, `${path}.${k}`, out); }
    if (s.items) names(s.items, `${path}[]`, out);
    return out;
  };
  for (const [method, name] of Object.entries(PUBLISHED_PARAMS)) {
    const ours = names(plain(METHOD_PARAMS[method]), method, new Set());
    const missing = [...names(published.definitions[name], method, new Set())].filter((p) => !ours.has(p));
    assert.deepEqual(missing, [], `${method}: properties missing`);
  }
  const connect = names(plain(METHOD_PARAMS.connect), 'c', new Set());
  for (const p of ['c.client.id', 'c.client.timeZone', 'c.auth.agentRuntimeIdentityToken', 'c.device.nonce', 'c.workerRuns.bundlePrewarm']) {
    assert.ok(connect.has(p), p);
  }
});

test('outbound shapes stay within the published schema plus the 2026.9.6 additions', () => {
  const pairs: Array<[string, TSchema, string]> = [
    ['ResponseFrame', ResponseFrame, '#/definitions/ResponseFrame'],
    ['EventFrame', EventFrame, '#/definitions/EventFrame'],
    ['SessionRow', SessionRow, '#/definitions/SessionRow'],
    ...Object.entries(PUBLISHED_RESULTS).map(([m, p]): [string, TSchema, string] => [`result of ${m}`, METHOD_RESULTS[m], p]),
    ...Object.entries(PUBLISHED_EVENTS).map(([e, p]): [string, TSchema, string] => [`event ${e}`, EVENT_PAYLOADS[e], p]),
  ];
  for (const [what, ours, pointer] of pairs) {
    assert.ok(ours, what);
    assert.deepEqual(coverageProblems(publishedSchemaAt(pointer), plain(ours), what), [], `${what} exceeds ${pointer}`);
  }
  // And the inbound frame accepts everything the published request frame does.
  assert.deepEqual(coverageProblems(plain(RequestFrame), published.definitions.RequestFrame, 'RequestFrame'), []);
});

test('every object schema is closed, except where the published counterpart is open', () => {
  // Published open objects: chat.send attachments and channels.status account snapshots.
  const open = new Set([
    'ChatAttachment', 'ChatSendParams.attachments[]', 'chat.send.attachments[]',
    'ChannelsStatusResult.channelAccounts{}[]', 'channels.status.channelAccounts{}[]',
  ]);
  const found: string[] = [];
  const walk = (s: any, path: string) => {
    if (!s || typeof s !== 'object') return;
    if (s.properties && s.additionalProperties !== false) found.push(path);
    for (const [k, v] of Object.entries<any>(s.properties ?? {})) walk(v, `${path}.${k}`);
    for (const v of Object.values<any>(s.patternProperties ?? {})) walk(v, `${path}{}`);
    for (const b of s.anyOf ?? []) walk(b, path);
    if (s.items) walk(s.items, `${path}[]`);
  };
  for (const [name, s] of Object.entries(DEFINITIONS)) walk(plain(s), name);
  for (const [m, s] of Object.entries(METHOD_PARAMS)) walk(plain(s), m);
  for (const [m, s] of Object.entries(METHOD_RESULTS)) walk(plain(s), m);
  assert.deepEqual([...new Set(found)].sort(), [...open].sort());
});

test('error texts follow OpenClaw formatValidationErrors', () => {
  const message = (r: { ok: boolean; message?: string }) => (r.ok ? '(ok)' : r.message);
  assert.equal(message(validateFrame({ type: 'req', id: 'r1', method: 'health', extra: true })), "at root: unexpected property 'extra'");
  assert.equal(message(validateFrame({ type: 'req', id: 'r1', method: '' })), 'at /method: must not have fewer than 1 characters');
  assert.equal(message(validateFrame({ type: 'req', id: 'r1', method: 'health', params: {}, traceparent: 't', expectedProfileId: 'p' })), '(ok)');
  assert.equal(message(validateParams('agent', { message: 'Say hi', sessionKey: 'agent:main:demo1' })),
    "must have required property 'idempotencyKey'");
  const client = { id: 'gateway-client', version: '0.0.1', platform: 'linux', mode: 'backend' };
  assert.equal(message(validateConnectParams({ minProtocol: 4, maxProtocol: 4, client: { ...client, id: 'not-a-client' } })),
    'at /client/id: must be equal to one of the allowed values');
  assert.equal(message(validateConnectParams({ minProtocol: 4, maxProtocol: 4, client, device: { id: 'd' } })),
    "at /device: must have required property 'publicKey'");
  assert.equal(message(validateConnectParams({ minProtocol: 4, maxProtocol: 4, client: { ...client, x: 1 }, auth: { y: '' } })),
    "at /client: unexpected property 'x'; at /auth: unexpected property 'y'");
  assert.equal(message(validateConnectParams({ minProtocol: 4, maxProtocol: 4, client, role: 'operator', scopes: ['operator.read'], auth: { token: 't' } })), '(ok)');
  // Spec §4 `modelCatalog` (2026.9.6, not in the published 2026.9.1 schema) is accepted and ignored.
  assert.equal(message(validateConnectParams({ minProtocol: 4, maxProtocol: 4, client, modelCatalog: { agentId: 'main', shortId: 's' } })), '(ok)');
  assert.equal(message(validateConnectParams({ minProtocol: 3, maxProtocol: 3, client, caps: ['tool-events', 'some-future-cap'] })), '(ok)');
  assert.equal(message(validateParams('chat.send', { sessionKey: 'k', message: 'm', idempotencyKey: 'i', queueMode: 'later' })),
    'at /queueMode: must be equal to one of the allowed values');
  assert.equal(message(validateParams('health', undefined)), '(ok)');
  assert.equal(message(validateParams('health', 'yes')), 'must be object');
  assert.equal(message(validateParams('status', { verbose: true })), "at root: unexpected property 'verbose'");
  assert.equal(message(validateParams('node.invoke.progress', { invokeId: 'i', nodeId: 'n', seq: 0, chunk: 'x'.repeat(16385) })),
    'at /chunk: must not have more than 16384 characters');
  assert.equal(message(validateParams('no.such.method', {})), 'unknown method: no.such.method');
  // The formatter itself, on ajv-shaped errors.
  assert.equal(formatValidationErrors([]), 'unknown validation error');
  assert.equal(formatValidationErrors([{ keyword: 'required', instancePath: '/a', params: { missingProperty: 'b' } }]),
    "at /a: must have required property 'b'");
  assert.equal(formatValidationErrors([{ keyword: 'then', instancePath: '' }]), 'must have required conditional properties');
  assert.equal(formatValidationErrors([{ keyword: 'type', instancePath: '/n', message: 'must be integer' },
    { keyword: 'type', instancePath: '/n', message: 'must be integer' }]), 'at /n: must be integer');
});

test('frames with extra top-level fields are rejected, inbound and outbound', () => {
  assert.equal(validateFrame({ type: 'req', id: '1', method: 'health', recipientProfileId: 'p' }).ok, false);
  assert.equal(validateServerFrame({ type: 'res', id: '1', ok: true, payload: {}, seq: 1 }).ok, false);
  assert.equal(validateServerFrame({ type: 'event', event: 'tick', payload: { ts: 1 }, seq: 1, recipientProfileId: 'p' }).ok, false);
  assert.equal(validateServerFrame({ type: 'res', id: '1', ok: false, error: { code: 'INVALID_REQUEST', message: 'x', extra: 1 } }).ok, false);
  assert.equal(validateServerFrame({ type: 'event', event: 'tick', payload: { ts: 1 }, seq: 1, stateVersion: { presence: 1, health: 1 } }).ok, true);
  assert.equal(validateServerFrame({ type: 'hello' }).ok, false);
});

test('validators are compiled once, at module load', async () => {
  const before = { ...PARAMS_VALIDATORS };
  const frame = REQUEST_FRAME_VALIDATOR;
  assert.deepEqual(Object.keys(PARAMS_VALIDATORS), Object.keys(METHOD_PARAMS));
  assert.deepEqual(Object.keys(RESULT_VALIDATORS), Object.keys(METHOD_RESULTS));
  assert.deepEqual(Object.keys(EVENT_PAYLOAD_VALIDATORS), Object.keys(EVENT_PAYLOADS));
  for (const table of [PARAMS_VALIDATORS, RESULT_VALIDATORS, EVENT_PAYLOAD_VALIDATORS, SERVER_FRAME_VALIDATORS]) {
    assert.ok(Object.isFrozen(table));
    for (const v of Object.values(table)) assert.ok(v instanceof Validator);
  }
  for (let i = 0; i < 10_000; i += 1) {
    validateParams(i % 2 ? 'agent' : 'chat.send', i % 3 ? { message: 'm', idempotencyKey: `k${i}` } : { extra: i });
    validateFrame({ type: 'req', id: `${i}`, method: 'agent' });
  }
  for (const [method, validator] of Object.entries(before)) assert.equal(PARAMS_VALIDATORS[method], validator, method);
  assert.equal(REQUEST_FRAME_VALIDATOR, frame);
  const again = await import('../../protocol/validators.js');
  assert.equal(again.PARAMS_VALIDATORS, PARAMS_VALIDATORS);
  assert.equal(again.PARAMS_VALIDATORS.connect, again.CONNECT_PARAMS_VALIDATOR);
});

test('result and event schemas accept the spec examples', () => {
  const check = (schema: TSchema, value: unknown) => assert.ok(Value.Check(schema, value), JSON.stringify([...Value.Errors(schema, value)]));
  check(EVENT_PAYLOADS.agent, { runId: 'idem-agent-1', sessionKey: 'agent:main:demo1', sessionId: 'e4a4', agentId: 'main', stream: 'lifecycle', data: { phase: 'start', startedAt: 1 }, seq: 1, ts: 2 });
  check(EVENT_PAYLOADS.chat, { runId: 'r', sessionKey: 'agent:main:demo1', agentId: 'main', seq: 3, state: 'delta', deltaText: 'Hello', message: { role: 'assistant', content: [{ type: 'text', text: 'Hello' }], timestamp: 1 } });
  check(EVENT_PAYLOADS.shutdown, { reason: 'gateway stopping' });
  check(EVENT_PAYLOADS['node.hostStats'], { nodeId: 'n', hostStats: { cpuCount: 8, memoryTotalBytes: 1, memoryFreeBytes: 1, loadAverage: [1.5, 1, 0.5], updatedAtMs: 1 } });
  check(METHOD_RESULTS['device.token.rotate'], { deviceId: 'd', role: 'operator', scopes: [], rotatedAtMs: 1, tokenDelivery: 'withheld-cross-device' });
  assert.equal(Value.Check(METHOD_RESULTS['device.token.rotate'], { deviceId: 'd', role: 'operator', scopes: [], rotatedAtMs: 1, token: 't', tokenDelivery: 'withheld-cross-device' }), false);
});
