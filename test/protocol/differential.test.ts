import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PUBLISHED_PARAMS } from '../../protocol/published.js';
import { validateFrame, validateParams, type ValidationResult } from '../../protocol/validators.js';
import { loadPublishedDocument } from '../helpers/published-schema.js';

// Differential test against OpenClaw's own validators (`@openclaw/gateway-protocol` 2026.9.1, built on
// TypeBox 1.3) and its `formatValidationErrors`: for systematically mutated params of every published
// method, Clawgate must accept exactly what OpenClaw accepts and answer with the same error text.

type Validate = ((value: unknown) => boolean) & { errors?: unknown[] | null };
type OpenClaw = Record<string, unknown> & { formatValidationErrors(errors: unknown): string };

const openclaw = (await import('@openclaw/gateway-protocol')) as unknown as OpenClaw;
const definitions = (loadPublishedDocument() as { definitions: Record<string, any> }).definitions;

function theirs(validate: Validate, value: unknown): ValidationResult {
  return validate(value) ? { ok: true } : { ok: false, message: openclaw.formatValidationErrors(validate.errors) };
}

/** A value for schema `s` with every property set (first branch of unions). */
function fill(s: any): unknown {
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  if (Array.isArray(s.anyOf)) return fill(s.anyOf[0]);
  switch (s.type) {
    case 'string': return s.pattern === '^[a-f0-9]{64}$' ? 'a'.repeat(64) : 'x'.repeat(Math.max(s.minLength ?? 1, 1));
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

const clone = <T>(v: T): T => structuredClone(v);

/** The full value, then one mutation at a time: each property removed, mistyped, nulled, oversized; extras. */
function mutations(schema: any): Array<[string, unknown]> {
  const base = fill(schema) as Record<string, any>;
  const out: Array<[string, unknown]> = [['full', base], ['empty', {}], ['not an object', 'text'], ['extra', { ...base, zzExtra: 1 }]];
  for (const [key, prop] of Object.entries<any>(schema.properties ?? {})) {
    const without = clone(base); delete without[key];
    out.push([`without ${key}`, without]);
    out.push([`${key}: number`, { ...base, [key]: 12345.5 }]);
    out.push([`${key}: string`, { ...base, [key]: '' }]);
    out.push([`${key}: null`, { ...base, [key]: null }]);
    out.push([`${key}: long`, { ...base, [key]: 'y'.repeat(600) }]);
    out.push([`${key}: negative`, { ...base, [key]: -1 }]);
    if (prop.type === 'object' && prop.properties) {
      out.push([`${key}: nested extra`, { ...base, [key]: { ...base[key], zzNested: true } }]);
      for (const inner of Object.keys(prop.properties)) {
        const nested = clone(base); delete nested[key][inner];
        out.push([`${key}.${inner} removed`, nested]);
        const wrong = clone(base); wrong[key][inner] = [];
        out.push([`${key}.${inner}: array`, wrong]);
      }
    }
    if (prop.type === 'array' && prop.items?.type === 'object' && prop.items.properties) {
      out.push([`${key}[0]: extra`, { ...base, [key]: [{ ...base[key][0], zzItem: 1 }] }]);
      for (const inner of Object.keys(prop.items.properties)) {
        const item = clone(base); delete item[key][0][inner];
        out.push([`${key}[0].${inner} removed`, item]);
        const wrong = clone(base); wrong[key][0][inner] = 3.5;
        out.push([`${key}[0].${inner}: number`, wrong]);
      }
    }
  }
  return out;
}

// Deliberate differences (channels.md §5.1): a channel pairing decision may leave out `accountId` (the channel's
// default account) and name the request by `code` or `requestId`; these mutations are accepted by Clawgate.
const WIDER: Readonly<Record<string, readonly string[]>> = {
  'channels.pairing.approve': ['without accountId', 'without requestId'],
  'channels.pairing.dismiss': ['without accountId', 'without requestId'],
};

for (const [method, name] of Object.entries(PUBLISHED_PARAMS)) {
  test(`${method} params: same verdicts and texts as OpenClaw's validate${name}`, () => {
    const validate = openclaw[`validate${name}`] as Validate;
    assert.equal(typeof validate, 'function', `@openclaw/gateway-protocol exports validate${name}`);
    let compared = 0;
    for (const [label, value] of mutations(definitions[name])) {
      const expected = theirs(validate, value);
      if (WIDER[method]?.includes(label)) {
        assert.equal(expected.ok, false, `${method} / ${label}: OpenClaw accepts it now; drop it from WIDER`);
        assert.deepEqual(validateParams(method, value), { ok: true }, `${method} / ${label}`);
        continue;
      }
      assert.deepEqual(validateParams(method, value), expected, `${method} / ${label}: ${JSON.stringify(value).slice(0, 300)}`);
      compared += 1;
    }
    assert.ok(compared > 3);
  });
}

test('request frames: same verdicts and texts as OpenClaw validateRequestFrame', () => {
  const validate = openclaw.validateRequestFrame as Validate;
  const frames: unknown[] = [
    { type: 'req', id: '1', method: 'health' },
    { type: 'req', id: '1', method: 'health', params: { a: 1 }, traceparent: '00-abc' },
    { type: 'req', id: '1', method: 'health', extra: true },
    { type: 'req', id: '1', method: '' },
    { type: 'req', id: '', method: 'x' },
    { type: 'req', method: 'x' },
    { type: 'res', id: '1', method: 'x' },
    { type: 'req', id: 7, method: 'x' },
    { type: 'req', id: '1', method: 'x', traceparent: 't'.repeat(129) },
    [], 'req', null,
  ];
  for (const frame of frames) assert.deepEqual(validateFrame(frame), theirs(validate, frame), JSON.stringify(frame));
  // Deliberate difference (spec §2): `expectedProfileId` is accepted and ignored.
  const withProfile = { type: 'req', id: '1', method: 'x', expectedProfileId: 'p' };
  assert.equal(validateFrame(withProfile).ok, true);
  assert.equal(validate(withProfile), false);
});
