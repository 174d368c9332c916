import { AssertionError } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import {
  PUBLISHED_EVENTS, PUBLISHED_PRESENCE_LIST, PUBLISHED_RESULTS, PUBLISHED_SCHEMA_ID,
} from '../../protocol/published.js';

// Validates frames Clawgate emits against the PUBLISHED OpenClaw schema (`@openclaw/gateway-protocol`
// protocol.schema.json, 2026.9.1), extended with exactly the 2026.9.6 additions of spec §2 and nothing else:
//   hello-ok `auth.method`, hello-ok `controlUiLinkReaders`, presence entry `clientId`,
//   agent event `sessionKey` / `sessionId` / `agentId`, health `eventLoop.cpuBreakdown`.
// The additions are written out here (from the 2026.9.6 sources), independently of protocol/*.ts, so a
// mistake in Clawgate's own schemas cannot hide behind them.

const PACKAGE = '@openclaw/gateway-protocol';

type JsonObject = Record<string, unknown>;

/** Directory of the installed package. Its `exports` does not list package.json, so fall back to the entry point. */
function packageDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return dirname(require.resolve(`${PACKAGE}/package.json`));
  } catch {
    let dir = dirname(require.resolve(PACKAGE));
    while (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== PACKAGE) {
      const up = dirname(dir);
      if (up === dir) throw new Error(`cannot locate ${PACKAGE}`);
      dir = up;
    }
    return dir;
  }
}

let rawDocument: JsonObject | undefined;

/** The published document exactly as shipped (parsed once; do not mutate). */
export function loadPublishedDocument(): JsonObject {
  rawDocument ??= JSON.parse(readFileSync(join(packageDir(), 'protocol.schema.json'), 'utf8')) as JsonObject;
  return rawDocument;
}

const nonEmpty = { type: 'string', minLength: 1 };
const nonNegativeNumber = { type: 'number', minimum: 0 };

/** The 2026.9.6 additions (spec §2), as JSON Schema. */
export const PUBLISHED_ADDITIONS = Object.freeze({
  helloAuthMethod: {
    anyOf: ['none', 'token', 'password', 'tailscale', 'device-token', 'bootstrap-token', 'trusted-proxy']
      .map((value) => ({ type: 'string', const: value })),
  },
  controlUiLinkReaders: {
    type: 'array',
    items: {
      type: 'object',
      required: ['pluginId', 'id', 'label', 'linkReader'],
      properties: {
        pluginId: nonEmpty,
        id: nonEmpty,
        label: nonEmpty,
        icon: { type: 'string' },
        linkReader: {
          type: 'object',
          required: ['hosts', 'pathPattern', 'detailMethod'],
          properties: {
            hosts: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 253 }, minItems: 1, maxItems: 16 },
            pathPattern: { type: 'string', minLength: 2, maxLength: 1024 },
            detailMethod: { type: 'string', minLength: 1, maxLength: 128 },
            previewMethod: { type: 'string', minLength: 1, maxLength: 128 },
            imageMethod: { type: 'string', minLength: 1, maxLength: 128 },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
  },
  presenceClientId: nonEmpty,
  agentEventFields: { sessionKey: nonEmpty, sessionId: nonEmpty, agentId: nonEmpty },
  healthCpuBreakdown: {
    type: 'object',
    properties: {
      mainThreadCoreRatio: nonNegativeNumber,
      workerCoreRatio: nonNegativeNumber,
      otherThreadsCoreRatio: nonNegativeNumber,
      hostUtilization: { type: 'number', minimum: 0, maximum: 1 },
      hostCpuCount: { type: 'integer', minimum: 1 },
    },
    additionalProperties: false,
  },
});

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Every object node of `root` that is structurally equal to `target` (the published schema inlines copies). */
function findCopies(root: unknown, target: JsonObject): JsonObject[] {
  const text = JSON.stringify(target);
  const keys = Object.keys((target.properties ?? {}) as JsonObject).join(',');
  const found: JsonObject[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) { node.forEach(walk); return; }
    if (!isObject(node)) return;
    if (isObject(node.properties) && Object.keys(node.properties).join(',') === keys && JSON.stringify(node) === text) {
      found.push(node);
      return;
    }
    for (const child of Object.values(node)) walk(child);
  };
  walk(root);
  return found;
}

function definition(document: JsonObject, pointer: string): JsonObject {
  let node: unknown = document;
  for (const part of pointer.replace(/^#\//, '').split('/')) node = isObject(node) ? node[part] : undefined;
  if (!isObject(node)) throw new Error(`published schema has no ${pointer}`);
  return node;
}

let patchedDocument: JsonObject | undefined;

/** A deep copy of the published document with the additions patched into every inlined copy (built once). */
function buildPatchedDocument(): JsonObject {
  patchedDocument ??= patchDocument();
  return patchedDocument;
}

function patchDocument(): JsonObject {
  const original = loadPublishedDocument();
  const patched = structuredClone(original);
  const targets = [
    { pointer: '#/definitions/HelloOk/properties/auth', add: { method: PUBLISHED_ADDITIONS.helloAuthMethod } },
    { pointer: '#/definitions/HelloOk', add: { controlUiLinkReaders: PUBLISHED_ADDITIONS.controlUiLinkReaders } },
    { pointer: '#/definitions/PresenceEntry', add: { clientId: PUBLISHED_ADDITIONS.presenceClientId } },
    { pointer: '#/definitions/AgentEvent', add: PUBLISHED_ADDITIONS.agentEventFields },
    {
      pointer: '#/definitions/Snapshot/properties/health/properties/eventLoop',
      add: { cpuBreakdown: PUBLISHED_ADDITIONS.healthCpuBreakdown },
    },
  ];
  // Find every copy first (on the unpatched clone), then patch, so one patch cannot hide another's copies.
  const plan = targets.map(({ pointer, add }) => {
    const copies = findCopies(patched.definitions, definition(original, pointer));
    if (copies.length === 0) throw new Error(`published schema changed: no copy of ${pointer} to patch`);
    return { copies, add };
  });
  for (const { copies, add } of plan) {
    for (const copy of copies) copy.properties = { ...(copy.properties as JsonObject), ...structuredClone(add) };
  }
  return patched;
}

const Ajv = AjvModule.default;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Compiled {
  frame: ValidateFunction;
  byType: Record<string, ValidateFunction>;
  results: Record<string, ValidateFunction>;
  events: Record<string, ValidateFunction>;
  names: string[];
}

let compiled: Compiled | undefined;

function ref(pointer: string) {
  return { $ref: `${PUBLISHED_SCHEMA_ID}${pointer}` };
}

/** Compiled once, on first use. */
function validators(): Compiled {
  if (compiled) return compiled;
  const document = buildPatchedDocument();
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('uuid', UUID); // the only format the published schema uses
  ajv.addSchema(document);
  const compileAll = (table: Readonly<Record<string, string>>) =>
    Object.fromEntries(Object.entries(table).map(([name, pointer]) => [name, ajv.compile(ref(pointer))]));
  compiled = {
    frame: ajv.compile(ref('#/definitions/GatewayFrame')),
    byType: {
      req: ajv.compile(ref('#/definitions/RequestFrame')),
      res: ajv.compile(ref('#/definitions/ResponseFrame')),
      event: ajv.compile(ref('#/definitions/EventFrame')),
    },
    results: compileAll(PUBLISHED_RESULTS),
    events: {
      ...compileAll(PUBLISHED_EVENTS),
      presence: ajv.compile({
        type: 'object',
        required: ['presence'],
        properties: { presence: ref(PUBLISHED_PRESENCE_LIST) },
        additionalProperties: false,
      }),
    },
    names: Object.keys(document.definitions as JsonObject).sort(),
  };
  return compiled;
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `  ${e.instancePath || '(root)'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`).join('\n');
}

function fail(what: string, value: unknown, errors: ErrorObject[] | null | undefined): never {
  throw new AssertionError({
    message: `${what} does not match the published schema (+2026.9.6 additions):\n${describe(errors)}\nvalue: ${JSON.stringify(value)}`,
    actual: value,
    operator: 'assertPublishedFrame',
  });
}

export interface PublishedFrameOptions {
  /** For `res` frames: the method answered, so an ok payload is checked against its published result. */
  method?: string;
}

/**
 * Throws an AssertionError unless `frame` is a valid GatewayFrame and, where the published schema defines
 * one, its payload is valid: the result of `options.method` for an ok `res`, the event's payload schema
 * for an `event`.
 */
export function assertPublishedFrame(frame: unknown, options: PublishedFrameOptions = {}): void {
  const v = validators();
  if (!v.frame(frame)) {
    const value: unknown = frame;
    const type = isObject(value) && typeof value.type === 'string' ? value.type : '';
    const specific = v.byType[type];
    if (specific && !specific(frame)) fail(`${type} frame`, frame, specific.errors);
    fail('frame', frame, v.frame.errors);
  }
  const f = frame as JsonObject;
  if (f.type === 'res' && f.ok === true && options.method) {
    const result = v.results[options.method];
    if (result && !result(f.payload)) fail(`result of ${options.method}`, f.payload, result.errors);
  }
  if (f.type === 'event' && typeof f.event === 'string') {
    const payload = v.events[f.event];
    if (payload && !payload(f.payload)) fail(`payload of event ${f.event}`, f.payload, payload.errors);
  }
}

/** The subschema at `pointer` (e.g. `#/definitions/HelloOk`) of the patched published document. */
export function publishedSchemaAt(pointer: string): JsonObject {
  return structuredClone(definition(buildPatchedDocument(), pointer));
}

/** Names of the definitions in the (patched) published schema. */
export function publishedDefinitionNames(): string[] {
  return [...validators().names];
}

/** Methods and events whose payloads assertPublishedFrame checks. */
export function publishedPayloadCoverage(): { results: string[]; events: string[] } {
  const v = validators();
  return { results: Object.keys(v.results).sort(), events: Object.keys(v.events).sort() };
}

// ---------------------------------------------------------------------------------------------------------
// Structural coverage: does schema `wide` accept every value schema `narrow` accepts? An approximation over
// the keywords both schema sets use (type/const/enum/anyOf, bounds, object and array shape); `allOf`, `not`
// and `if` on the wide side are ignored (the sample-based checks cover those). Returns readable problems.

type Schema = Record<string, any>;

const CONSTRAINTS = [
  'type', 'const', 'enum', 'anyOf', 'allOf', 'oneOf', 'not', 'properties', 'patternProperties', 'additionalProperties',
  'required', 'items', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength',
  'pattern', 'format', 'minItems', 'maxItems', 'uniqueItems', 'maxProperties', 'minProperties',
];

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typesOf(s: Schema): Set<string> | 'any' {
  if (Array.isArray(s.anyOf)) {
    const all = new Set<string>();
    for (const branch of s.anyOf) {
      const t = typesOf(branch);
      if (t === 'any') return 'any';
      t.forEach((x) => { all.add(x); });
    }
    return all;
  }
  if ('const' in s) return new Set([jsonType(s.const)]);
  if (Array.isArray(s.enum)) return new Set(s.enum.map(jsonType));
  if (s.type !== undefined) return new Set(Array.isArray(s.type) ? s.type : [s.type]);
  if (s.properties || s.patternProperties || 'additionalProperties' in s) return new Set(['object']);
  return 'any';
}

function typeCovered(wide: Set<string> | 'any', t: string): boolean {
  return wide === 'any' || wide.has(t) || (t === 'integer' && wide.has('number'));
}

function valuesOf(s: Schema): unknown[] | undefined {
  if ('const' in s) return [s.const];
  return Array.isArray(s.enum) ? s.enum : undefined;
}

/** Problems that keep `wide` from accepting everything `narrow` accepts; empty when covered. */
export function coverageProblems(wide: Schema, narrow: Schema, path = '(root)'): string[] {
  const out: string[] = [];
  if (!CONSTRAINTS.some((k) => k in wide)) return out; // wide accepts anything
  if (Array.isArray(narrow.anyOf)) {
    for (const branch of narrow.anyOf) out.push(...coverageProblems(wide, branch, path));
    return out;
  }
  const narrowValues = valuesOf(narrow);
  if (Array.isArray(wide.anyOf)) {
    if (narrowValues && narrowValues.length > 1) {
      for (const value of narrowValues) out.push(...coverageProblems(wide, { const: value }, path));
      return out;
    }
    const attempts = wide.anyOf.map((branch: Schema) => coverageProblems(branch, narrow, path));
    if (attempts.some((a: string[]) => a.length === 0)) return out;
    const best = attempts.reduce((a: string[], b: string[]) => (b.length < a.length ? b : a));
    return [`${path}: no anyOf branch covers it (closest: ${best.join(' | ')})`];
  }
  const wideTypes = typesOf(wide);
  const narrowTypes = typesOf(narrow);
  if (narrowTypes === 'any') {
    if (wideTypes !== 'any' || valuesOf(wide)) out.push(`${path}: accepts any value, the other only ${JSON.stringify(wide)}`);
    return out;
  }
  for (const t of narrowTypes) if (!typeCovered(wideTypes, t)) out.push(`${path}: type ${t} not accepted`);
  const wideValues = valuesOf(wide);
  if (wideValues) {
    if (!narrowValues) out.push(`${path}: restricted to ${JSON.stringify(wideValues)}`);
    else for (const v of narrowValues) if (!wideValues.includes(v)) out.push(`${path}: value ${JSON.stringify(v)} not accepted`);
  }
  if (narrowValues) return out; // bounds below only matter for open-ended values
  const lower = (k: string) => { if (wide[k] !== undefined && !(narrow[k] >= wide[k])) out.push(`${path}: ${k} ${wide[k]} vs ${narrow[k]}`); };
  const upper = (k: string) => { if (wide[k] !== undefined && !(narrow[k] <= wide[k])) out.push(`${path}: ${k} ${wide[k]} vs ${narrow[k]}`); };
  lower('minimum'); upper('maximum'); lower('minLength'); upper('maxLength'); lower('minItems'); upper('maxItems');
  upper('maxProperties'); lower('minProperties');
  for (const k of ['pattern', 'format']) if (wide[k] !== undefined && wide[k] !== narrow[k]) out.push(`${path}: ${k} ${wide[k]} vs ${narrow[k]}`);
  if (wide.uniqueItems === true && narrow.uniqueItems !== true) out.push(`${path}: uniqueItems`);
  if (wide.items && narrow.items) out.push(...coverageProblems(wide.items, narrow.items, `${path}[]`));
  else if (wide.items && !narrow.items && narrowTypes.has('array')) out.push(`${path}: array items unconstrained`);
  if (!narrowTypes.has('object')) return out;
  for (const name of wide.required ?? []) {
    if (!(narrow.required ?? []).includes(name)) out.push(`${path}: '${name}' is required`);
  }
  const wideProps: Schema = wide.properties ?? {};
  const widePatterns: Schema = wide.patternProperties ?? {};
  const wideExtra = wide.additionalProperties;
  for (const [name, schema] of Object.entries<Schema>(narrow.properties ?? {})) {
    const at = `${path}.${name}`;
    if (name in wideProps) out.push(...coverageProblems(wideProps[name], schema, at));
    else if (Object.keys(widePatterns).some((p) => new RegExp(p, 'u').test(name))) {
      const p = Object.keys(widePatterns).find((q) => new RegExp(q, 'u').test(name))!;
      out.push(...coverageProblems(widePatterns[p], schema, at));
    } else if (wideExtra === false) out.push(`${at}: property not allowed`);
    else if (wideExtra && typeof wideExtra === 'object') out.push(...coverageProblems(wideExtra, schema, at));
  }
  for (const [pattern, schema] of Object.entries<Schema>(narrow.patternProperties ?? {})) {
    if (pattern in widePatterns) out.push(...coverageProblems(widePatterns[pattern], schema, `${path}{${pattern}}`));
    else if (wideExtra === false) out.push(`${path}{${pattern}}: pattern properties not allowed`);
  }
  const narrowOpen = narrow.additionalProperties !== false && !narrow.patternProperties;
  if (narrowOpen && wideExtra === false) out.push(`${path}: open object vs closed`);
  return out;
}
