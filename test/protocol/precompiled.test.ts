import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { EVENT_PAYLOADS, METHOD_PARAMS } from '../../protocol/index.js';
import * as precompiled from '../../protocol/precompiled.js';
import * as runtime from '../../protocol/validators.js';
import { CHECKED_EVENTS, PRECOMPILED_PATH, renderPrecompiledValidators } from '../../scripts/precompiled-validators.js';

// The validators the gateway serves with (protocol/precompiled.ts over the generated ajv standalone code) against
// the runtime TypeBox ones (protocol/validators.ts): generated file up to date, only TypeBox's JSON Schema engine
// (typebox/schema, for the text of a failure) on the load path, and
// the same verdict and text for systematic mutations of every schema (the events: those the gateway checks) and
// for random values.

test('protocol/precompiled.generated.js is what `npm run protocol:gen` writes now', () => {
  let actual = '';
  try {
    actual = readFileSync(PRECOMPILED_PATH, 'utf8');
  } catch { /* missing counts as stale */ }
  assert.ok(actual === renderPrecompiledValidators(),
    `${fileURLToPath(PRECOMPILED_PATH)} is out of date with protocol/*.ts: run \`npm run protocol:gen\` and commit the result`);
});

test('loading the precompiled validators imports neither TypeBox\'s builders and compiler nor the schemas', () => {
  const staticImports = (file: string) => [...readFileSync(new URL(`../../protocol/${file}`, import.meta.url), 'utf8')
    .matchAll(/^import (?!type )[^;]*?from ['"]([^'"]+)['"]/gm)].map((m) => m[1]);
  assert.deepEqual(staticImports('precompiled.ts'), ['typebox/schema', './precompiled.generated.js', './validation-errors.js']);
  assert.deepEqual(staticImports('precompiled.generated.js'), ['ajv/dist/runtime/ucs2length.js']);
});

type Validate = (value: unknown) => runtime.ValidationResult;

/** A value for JSON schema `s` with every property set (first branch of unions). */
function fill(s: any): unknown {
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  if (Array.isArray(s.anyOf)) return fill(s.anyOf[0]);
  switch (s.type) {
    case 'string': return s.pattern ? 'a'.repeat(64) : 'x'.repeat(Math.max(s.minLength ?? 1, 1));
    case 'integer': case 'number': return s.minimum ?? 0;
    case 'boolean': return true;
    case 'null': return null;
    case 'array': return Array.from({ length: Math.max(s.minItems ?? 1, 1) }, (_, i) => {
      const item = fill(s.items ?? {});
      return s.uniqueItems && typeof item === 'string' ? `${item}${i}` : item;
    });
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries<any>(s.properties ?? {})) out[k] = fill(v);
      return out;
    }
    default: return 'any';
  }
}

// JSON values only: what the gateway checks comes from JSON.parse (ajv takes a property set to `undefined` as
// absent, TypeBox as present; no parsed frame has one)
const ODD: unknown[] = [
  null, 0, -1, 1.5, 2 ** 53, '', 'x', 'y'.repeat(600), '😀', '😀'.repeat(300), 'é\u0301', true, [], [1], {},
  { __proto__: 1 }, JSON.parse('{"__proto__":{"x":1}}'), { constructor: 'x' }, 'req',
];

/** The full value, then one change at a time, at every path down to depth 3: removed, replaced by each odd value, extras. */
function mutations(schema: unknown): unknown[] {
  const base = fill(JSON.parse(JSON.stringify(schema)));
  const out: unknown[] = [base, undefined, ...ODD];
  const walk = (value: unknown, rebuild: (v: unknown) => unknown, depth: number) => {
    if (depth > 3 || value === null || typeof value !== 'object') return;
    if (!Array.isArray(value)) out.push(rebuild({ ...value, zzExtra: 1 }));
    for (const key of Object.keys(value)) {
      const child = (value as Record<string, unknown>)[key];
      const set = (v: unknown) => rebuild(Array.isArray(value) ? value.map((x, i) => (String(i) === key ? v : x)) : { ...value, [key]: v });
      if (!Array.isArray(value)) {
        const { [key]: _gone, ...without } = value as Record<string, unknown>;
        out.push(rebuild(without));
      }
      for (const odd of ODD) out.push(set(odd));
      walk(child, set, depth + 1);
    }
  };
  walk(base, (v) => v, 0);
  return out;
}

function agree(label: string, ours: Validate, theirs: Validate, values: Iterable<unknown>): number {
  let n = 0;
  for (const value of values) {
    assert.deepEqual(ours(value), theirs(value), `${label}: ${JSON.stringify(value)?.slice(0, 300)}`);
    n += 1;
  }
  return n;
}

test('request frames: same verdicts and texts as the runtime validator', () => {
  const frames = mutations({ type: 'object', properties: { type: { const: 'req' }, id: { type: 'string' }, method: { type: 'string' }, params: { type: 'object' }, traceparent: { type: 'string' } } });
  assert.ok(agree('frame', precompiled.validateFrame, runtime.validateFrame, frames) > 100);
});

test('every method\'s params: same verdicts and texts as the runtime validators', () => {
  let compared = 0;
  for (const [method, schema] of Object.entries(METHOD_PARAMS)) {
    assert.equal(precompiled.hasParamsSchema(method), true, method);
    compared += agree(method, (v) => precompiled.validateParams(method, v), (v) => runtime.validateParams(method, v), mutations(schema));
  }
  assert.deepEqual(precompiled.validateParams('no.such', {}), runtime.validateParams('no.such', {}));
  agree('connect', precompiled.validateConnectParams, runtime.validateConnectParams, mutations(METHOD_PARAMS.connect));
  assert.equal(precompiled.hasParamsSchema('constructor'), false);
  assert.ok(compared > 5000, `compared ${compared}`);
});

test('every event payload the gateway checks: same verdicts and texts as the runtime validators; other events are unknown', () => {
  assert.ok(CHECKED_EVENTS.includes('node.hostStats'));
  for (const [event, schema] of Object.entries(EVENT_PAYLOADS)) {
    if (CHECKED_EVENTS.includes(event)) {
      agree(event, (v) => precompiled.validateEventPayload(event, v), (v) => runtime.validateEventPayload(event, v), mutations(schema));
    } else {
      assert.deepEqual(precompiled.validateEventPayload(event, {}), { ok: false, message: `unknown event: ${event}` });
    }
  }
  assert.deepEqual(precompiled.validateEventPayload('toString', {}), runtime.validateEventPayload('toString', {}));
});

test('random JSON values: same verdicts and texts for frames, params and events', () => {
  const methods = Object.keys(METHOD_PARAMS);
  const events = CHECKED_EVENTS;
  fc.assert(fc.property(fc.constantFrom(...methods), fc.constantFrom(...events), fc.jsonValue({ maxDepth: 3 }), (method, event, value) => {
    assert.deepEqual(precompiled.validateFrame(value), runtime.validateFrame(value));
    assert.deepEqual(precompiled.validateParams(method, value), runtime.validateParams(method, value));
    assert.deepEqual(precompiled.validateEventPayload(event, value), runtime.validateEventPayload(event, value));
  }), { numRuns: 2000, seed: 1207 });
});
