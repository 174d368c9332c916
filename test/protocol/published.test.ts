import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { AgentEvent, AgentParams, ConnectParams, EVENT_PAYLOADS, METHOD_RESULTS } from '../../protocol/index.js';
import { PUBLISHED_EVENTS, PUBLISHED_RESULTS } from '../../protocol/published.js';
import {
  assertPublishedFrame, coverageProblems, loadPublishedDocument, publishedDefinitionNames, publishedPayloadCoverage,
  publishedSchemaAt,
} from '../helpers/published-schema.js';
import { validateResult } from '../../protocol/validators.js';

// The published-schema helper (used by the WS tests), its coverage checker, and Clawgate's outbound schemas
// exercised through it with "everything filled in" samples.

const hello = () => ({
  type: 'hello-ok',
  protocol: 4,
  server: { version: '0.1.0', connId: '6f1c2d3e-0000-4000-8000-000000000001' },
  features: { methods: ['health', 'agent'], events: ['connect.challenge', 'tick'] },
  snapshot: {
    presence: [{ ts: 1795428431595, host: 'box', mode: 'gateway', reason: 'self', text: 'Gateway: box' }],
    health: { ok: true, ts: 1795428431595 },
    stateVersion: { presence: 1, health: 1 },
    uptimeMs: 10,
    sessionDefaults: { defaultAgentId: 'main', mainKey: 'main', mainSessionKey: 'agent:main:main' },
  },
  auth: { role: 'operator', scopes: ['operator.read'] } as Record<string, unknown>,
  policy: { maxPayload: 26214400, maxBufferedBytes: 52428800, tickIntervalMs: 30000 },
});
const res = (payload: unknown) => ({ type: 'res', id: 'c1', ok: true, payload });

test('a valid hello-ok passes; an unknown field fails', () => {
  assertPublishedFrame(res(hello()), { method: 'connect' });
  assert.deepEqual(validateResult('connect', hello()), { ok: true });
  assert.equal(validateResult('connect', { ...hello(), bogus: true }).ok, false);
  assert.throws(() => assertPublishedFrame(res({ ...hello(), bogus: true }), { method: 'connect' }),
    (e: Error) => e.name === 'AssertionError' && /bogus/.test(e.message));
  const nested = hello();
  (nested.snapshot.presence[0] as Record<string, unknown>).lane = 'x';
  assert.throws(() => assertPublishedFrame(res(nested), { method: 'connect' }), { name: 'AssertionError' });
  // Without the method only the envelope is checked.
  assertPublishedFrame(res({ ...hello(), bogus: true }));
});

test('the 2026.9.6 additions pass, and nothing else is added', () => {
  const h = hello();
  h.auth.method = 'token';
  (h.snapshot.presence[0] as Record<string, unknown>).clientId = 'gateway-client';
  (h.snapshot.health as Record<string, unknown>).eventLoop = {
    degraded: false, reasons: [], intervalMs: 1000, delayP99Ms: 1, delayMaxMs: 2, utilization: 0.1, cpuCoreRatio: 0.2,
    cpuBreakdown: { mainThreadCoreRatio: 0.1, hostCpuCount: 8 },
  };
  (h as Record<string, unknown>).controlUiLinkReaders = [];
  assertPublishedFrame(res(h), { method: 'connect' });
  h.auth.method = 'magic';
  assert.throws(() => assertPublishedFrame(res(h), { method: 'connect' }), { name: 'AssertionError' });
  // Not additions: `controlUiUrl` (newer OpenClaw), agent-event `lane`, frame `recipientProfileId`.
  assert.throws(() => assertPublishedFrame(res({ ...hello(), controlUiUrl: 'http://x' }), { method: 'connect' }));
  const agent = { runId: 'r', seq: 1, stream: 'assistant', ts: 1, data: { text: 'Hi' }, sessionKey: 'agent:main:main', sessionId: 's', agentId: 'main' };
  assertPublishedFrame({ type: 'event', event: 'agent', payload: agent, seq: 5 });
  assert.throws(() => assertPublishedFrame({ type: 'event', event: 'agent', payload: { ...agent, lane: 'main' }, seq: 5 }));
  assert.throws(() => assertPublishedFrame({ type: 'event', event: 'tick', payload: { ts: 1 }, recipientProfileId: 'p' }));
  // The published definitions themselves are untouched by the patching.
  assert.ok(!('clientId' in (loadPublishedDocument() as any).definitions.PresenceEntry.properties));
  assert.ok('clientId' in (publishedSchemaAt('#/definitions/PresenceEntry') as any).properties);
  assert.ok(publishedDefinitionNames().includes('HelloOk'));
});

test('event and result payloads are checked where the published schema has a definition', () => {
  assert.deepEqual(publishedPayloadCoverage(), {
    results: Object.keys(PUBLISHED_RESULTS).sort(),
    events: [...Object.keys(PUBLISHED_EVENTS), 'presence'].sort(),
  });
  assert.throws(() => assertPublishedFrame({ type: 'event', event: 'tick', payload: {}, seq: 1 }));
  assert.throws(() => assertPublishedFrame({ type: 'event', event: 'presence', payload: { presence: [{}] }, seq: 1 }));
  assertPublishedFrame({ type: 'event', event: 'presence', payload: { presence: [{ ts: 1, clientId: 'cli' }] }, seq: 1, stateVersion: { presence: 2, health: 1 } });
  assert.throws(() => assertPublishedFrame({ type: 'res', id: '1', ok: true, payload: [{}] }, { method: 'system-presence' }));
  assertPublishedFrame({ type: 'res', id: '1', ok: false, error: { code: 'INVALID_REQUEST', message: 'invalid role' } }, { method: 'connect' });
});

test('the coverage checker catches narrowing and widening', () => {
  const plain = (s: TSchema) => JSON.parse(JSON.stringify(s));
  const agent = plain(AgentParams);
  const theirs = (loadPublishedDocument() as any).definitions.AgentParams;
  assert.deepEqual(coverageProblems(agent, theirs), []);
  const missing = plain(AgentParams);
  delete missing.properties.lane;
  assert.ok(coverageProblems(missing, theirs).some((p) => p.includes('.lane: property not allowed')));
  const stricter = plain(AgentParams);
  stricter.required.push('sessionKey');
  assert.ok(coverageProblems(stricter, theirs).some((p) => p.includes("'sessionKey' is required")));
  const connect = plain(ConnectParams);
  connect.properties.caps.items = { enum: ['tool-events'] };
  assert.ok(coverageProblems(connect, (loadPublishedDocument() as any).definitions.ConnectParams).length > 0);
  const event = plain(AgentEvent);
  event.properties.lane = { type: 'string' };
  assert.ok(coverageProblems(publishedSchemaAt('#/definitions/AgentEvent'), event).some((p) => p.includes('.lane')));
  assert.deepEqual(coverageProblems(publishedSchemaAt('#/definitions/AgentEvent'), plain(AgentEvent)), []);
});

/** A value with every property filled in (first branch of nested unions), for one schema or each top-level branch. */
function samples(schema: any): unknown[] {
  if (Array.isArray(schema.anyOf)) return schema.anyOf.flatMap(samples);
  return [fill(schema)];
}

function fill(s: any): unknown {
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  if (Array.isArray(s.anyOf)) return fill(s.anyOf[0]);
  switch (s.type) {
    case 'string': return 'x'.repeat(Math.max(s.minLength ?? 1, 1));
    case 'integer': case 'number': return s.minimum ?? 0;
    case 'boolean': return true;
    case 'null': return null;
    case 'array': return Array.from({ length: Math.max(s.minItems ?? 1, 1) }, () => fill(s.items ?? {}));
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries<any>(s.properties ?? {})) out[k] = fill(v);
      for (const v of Object.values<any>(s.patternProperties ?? {})) out.key = fill(v);
      return out;
    }
    default: return { any: 'value' };
  }
}

test('Clawgate outbound samples (all optional fields set) validate against the published schema', () => {
  for (const [method, schema] of Object.entries(METHOD_RESULTS)) {
    for (const payload of samples(JSON.parse(JSON.stringify(schema)))) {
      assert.ok(Value.Check(schema, payload), `sample of ${method} must satisfy our own schema`);
      assertPublishedFrame({ type: 'res', id: 'r1', ok: true, payload }, { method });
    }
  }
  for (const [event, schema] of Object.entries(EVENT_PAYLOADS)) {
    for (const payload of samples(JSON.parse(JSON.stringify(schema)))) {
      assert.ok(Value.Check(schema, payload), `sample of ${event} must satisfy our own schema`);
      assertPublishedFrame({ type: 'event', event, payload, seq: 1, stateVersion: { presence: 1, health: 1 } });
    }
  }
});
