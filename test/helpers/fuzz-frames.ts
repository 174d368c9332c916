import fc from 'fast-check';
import { OPERATOR_SCOPES } from '../../protocol/connect.js';
import { CORE_METHODS } from '../../protocol/index.js';
import { NODE_METHODS } from '../../src/policy/authorize.js';

// Random WS frames for the hostile-input fuzz test (test/ws-fuzz.test.ts). Frames are built as a small JSON
// model and rendered to text by hand, so a key such as `__proto__` really is on the wire (an object literal
// or assignment would set a prototype instead). Every name of Object.prototype shows up as method, scope,
// param key, id and value. Placeholders are replaced when a frame is rendered: `$ID` a fresh request id,
// `$NODE` the fuzzing node's device id, `$TOKEN` the gateway token.

/** `constructor`, `__proto__`, `toString`, `hasOwnProperty`, `valueOf`, … */
export const PROTO_NAMES: readonly string[] = Object.getOwnPropertyNames(Object.prototype);

export type Json = null | boolean | number | string | Json[] | { entries: [string, Json][] };

const METHOD_NAMES = [...CORE_METHODS, ...NODE_METHODS, 'connect'];
const FIELDS = [
  'sessionKey', 'message', 'idempotencyKey', 'key', 'runId', 'nodeId', 'command', 'id', 'requestId', 'deviceId', 'role',
  'scopes', 'limit', 'offset', 'probe', 'params', 'payload', 'payloadJSON', 'event', 'ok', 'seq', 'chunk', 'invokeId',
  'timeoutMs', 'channel', 'to', 'queueMode', 'error', 'code', 'client', 'auth', 'caps', 'permissions',
];

const proto = fc.constantFrom(...PROTO_NAMES);
export const word: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: proto },
  { weight: 3, arbitrary: fc.constantFrom(...FIELDS, ...METHOD_NAMES, ...OPERATOR_SCOPES, '$NODE', 'agent:main:fuzz') },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
);
const leaf: fc.Arbitrary<Json> = fc.oneof(word, fc.integer({ min: -5, max: 100_000 }), fc.boolean(), fc.constant(null));
const objectOf = (value: fc.Arbitrary<Json>): fc.Arbitrary<Json> =>
  fc.array(fc.tuple(word, value), { maxLength: 4 }).map((entries) => ({ entries }));
export const json: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof({ maxDepth: 3, depthIdentifier: 'json' }, leaf, fc.array(tie('value'), { maxLength: 3 }), objectOf(tie('value'))),
})).value;

/** A request-shaped frame; every field may be missing, mistyped or a prototype name. */
export interface FrameSpec {
  type?: Json;
  id?: Json;
  method?: Json;
  params?: Json;
  extra: [string, Json][];
}

export const frameSpec: fc.Arbitrary<FrameSpec> = fc.record({
  type: fc.oneof({ weight: 14, arbitrary: fc.constant<Json>('req') }, { weight: 1, arbitrary: leaf }, { weight: 1, arbitrary: fc.constant(undefined) }),
  id: fc.oneof(
    { weight: 4, arbitrary: fc.constant<Json>('$ID') }, { weight: 3, arbitrary: proto as fc.Arbitrary<Json> },
    { weight: 1, arbitrary: leaf }, { weight: 1, arbitrary: fc.constant(undefined) },
  ),
  method: fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom<Json>(...METHOD_NAMES) }, { weight: 4, arbitrary: proto as fc.Arbitrary<Json> },
    { weight: 1, arbitrary: leaf }, { weight: 1, arbitrary: fc.constant(undefined) },
  ),
  params: fc.oneof({ weight: 6, arbitrary: objectOf(json) }, { weight: 1, arbitrary: json }, { weight: 1, arbitrary: fc.constant(undefined) }),
  extra: fc.oneof({ weight: 6, arbitrary: fc.constant<[string, Json][]>([]) }, { weight: 1, arbitrary: fc.array(fc.tuple(word, json), { maxLength: 2 }) }),
});

/** A `connect` whose role, scopes, client and extra keys are fuzzed; `follow` goes out after an accepted hello. */
export interface ConnectSpec {
  role?: Json;
  scopes: Json[];
  clientId: string;
  mode: string;
  token: string;
  clientExtra: [string, Json][];
  extra: [string, Json][];
  follow: FrameSpec;
}

const none = fc.constant<[string, Json][]>([]);
export const connectSpec: fc.Arbitrary<ConnectSpec> = fc.record({
  role: fc.oneof({ weight: 6, arbitrary: fc.constant<Json>('operator') }, { weight: 1, arbitrary: fc.constant<Json>('node') },
    { weight: 2, arbitrary: word as fc.Arbitrary<Json> }, { weight: 1, arbitrary: fc.constant(undefined) }),
  scopes: fc.array(fc.oneof(proto, fc.constantFrom(...OPERATOR_SCOPES), word) as fc.Arbitrary<Json>, { maxLength: 4 }),
  clientId: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('gateway-client', 'cli', 'test') }, { weight: 1, arbitrary: word }),
  mode: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('backend', 'cli', 'test', 'probe') }, { weight: 1, arbitrary: word }),
  token: fc.oneof({ weight: 6, arbitrary: fc.constant('$TOKEN') }, { weight: 1, arbitrary: word }),
  clientExtra: fc.oneof({ weight: 5, arbitrary: none }, { weight: 1, arbitrary: fc.array(fc.tuple(word, json), { maxLength: 1 }) }),
  extra: fc.oneof({ weight: 5, arbitrary: none }, { weight: 1, arbitrary: fc.array(fc.tuple(word, json), { maxLength: 1 }) }),
  follow: frameSpec,
});

/** The connect params of a ConnectSpec, as a JSON model. */
export function connectParamsOf(c: ConnectSpec): Json {
  const client: [string, Json][] = [['id', c.clientId], ['version', '1.0.0'], ['platform', 'linux'], ['mode', c.mode], ...c.clientExtra];
  return {
    entries: [
      ['minProtocol', 4], ['maxProtocol', 4], ['client', { entries: client }],
      ...(c.role === undefined ? [] : [['role', c.role] as [string, Json]]),
      ['scopes', c.scopes], ['auth', { entries: [['token', c.token]] }], ...c.extra,
    ],
  };
}

/** A frame as a JSON model (fields in wire order, missing ones left out). */
export function frameOf(f: FrameSpec): Json {
  const entries: [string, Json][] = [];
  if (f.type !== undefined) entries.push(['type', f.type]);
  if (f.id !== undefined) entries.push(['id', f.id]);
  if (f.method !== undefined) entries.push(['method', f.method]);
  if (f.params !== undefined) entries.push(['params', f.params]);
  return { entries: [...entries, ...f.extra] };
}

/** JSON text of a model; strings go through `subst` (placeholders). Keys are written as given, `__proto__` too. */
export function render(v: Json, subst: (s: string) => string): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'number') return JSON.stringify(v);
  if (typeof v === 'string') return JSON.stringify(subst(v));
  if (Array.isArray(v)) return `[${v.map((x) => render(x, subst)).join(',')}]`;
  return `{${v.entries.map(([k, x]) => `${JSON.stringify(subst(k))}:${render(x, subst)}`).join(',')}}`;
}
