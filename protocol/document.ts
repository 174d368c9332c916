import type { TSchema } from 'typebox';
import {
  DEFINITIONS, EVENT_PAYLOADS, GATEWAY_CLIENT_CAPS, GATEWAY_CLIENT_IDS, GATEWAY_CLIENT_MODES, GATEWAY_ROLES,
  METHOD_PARAMS, METHOD_RESULTS, MIN_CLIENT_PROTOCOL_VERSION, MIN_NODE_PROTOCOL_VERSION,
  MIN_PROBE_PROTOCOL_VERSION, OPERATOR_SCOPES, PROTOCOL_VERSION,
} from './index.js';

// The JSON Schema document written to protocol/schema.json by `npm run protocol:gen` (scripts/gen-protocol.ts).
// Stable output: definitions, methods and events are sorted by name and every schema's keywords are
// sorted, except `properties`, whose order is kept as authored (it decides which missing property a
// validator reports first).

export const SCHEMA_DOCUMENT_PATH = new URL('./schema.json', import.meta.url);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function canonical(value: unknown): Json {
  if (Array.isArray(value)) return value.map((item) => canonical(item));
  if (value === null || typeof value !== 'object') return value as Json;
  const keys = Object.keys(value).sort();
  const out: { [key: string]: Json } = {};
  for (const key of keys) {
    const child = (value as Record<string, unknown>)[key];
    if (child === undefined) continue;
    // Under `properties` / `patternProperties` the keys are property names, not keywords.
    out[key] = key === 'properties' || key === 'patternProperties' ? canonicalMap(child) : canonical(child);
  }
  return out;
}

function canonicalMap(value: unknown): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return canonical(value);
  const out: { [key: string]: Json } = {};
  for (const [name, schema] of Object.entries(value)) out[name] = canonical(schema);
  return out;
}

function sortedRecord<T>(record: Readonly<Record<string, T>>, map: (value: T, key: string) => Json): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const key of Object.keys(record).sort()) out[key] = map(record[key], key);
  return out;
}

function definitionRef(schema: TSchema, what: string): string {
  for (const [name, candidate] of Object.entries(DEFINITIONS)) if (candidate === schema) return `#/definitions/${name}`;
  throw new Error(`${what}: schema is not listed in DEFINITIONS`);
}

/** The document as a plain JSON value. */
export function buildSchemaDocument(): Json {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'urn:clawgate:gateway-protocol',
    title: 'Clawgate gateway protocol',
    description: 'OpenClaw gateway WebSocket protocol v4 as Clawgate speaks it. Generated from protocol/*.ts by `npm run protocol:gen`; do not edit.',
    protocol: {
      version: PROTOCOL_VERSION,
      minClientVersion: MIN_CLIENT_PROTOCOL_VERSION,
      minNodeVersion: MIN_NODE_PROTOCOL_VERSION,
      minProbeVersion: MIN_PROBE_PROTOCOL_VERSION,
    },
    enums: {
      clientCaps: [...GATEWAY_CLIENT_CAPS],
      clientIds: [...GATEWAY_CLIENT_IDS],
      clientModes: [...GATEWAY_CLIENT_MODES],
      operatorScopes: [...OPERATOR_SCOPES],
      roles: [...GATEWAY_ROLES],
    },
    oneOf: [
      { $ref: '#/definitions/RequestFrame' },
      { $ref: '#/definitions/ResponseFrame' },
      { $ref: '#/definitions/EventFrame' },
    ],
    methods: sortedRecord(METHOD_PARAMS, (params, method) => {
      const entry: { [key: string]: Json } = { params: definitionRef(params, `params of ${method}`) };
      const result = METHOD_RESULTS[method];
      if (result) entry.result = definitionRef(result, `result of ${method}`);
      return entry;
    }),
    events: sortedRecord(EVENT_PAYLOADS, (payload, event) => definitionRef(payload, `payload of ${event}`)),
    definitions: sortedRecord(DEFINITIONS, (schema) => canonical(schema)),
  };
}

/** The exact file content: pretty-printed with two spaces and a trailing newline. */
export function renderSchemaDocument(): string {
  return `${JSON.stringify(buildSchemaDocument(), null, 2)}\n`;
}
