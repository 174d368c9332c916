import type { TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import { ConnectParams } from './connect.js';
import { EventFrame, RequestFrame, ResponseFrame } from './frames.js';
import { EVENT_PAYLOADS, METHOD_PARAMS, METHOD_RESULTS } from './index.js';
import { formatValidationErrors } from './validation-errors.js';

// Every schema is compiled exactly once, when this module loads; the validate* functions only look the
// compiled validator up. Failure messages use OpenClaw's format (see validation-errors.ts); the server
// prefixes them: `invalid request frame: …`, `invalid connect params: …`, `invalid <method> params: …`.

export type ValidationResult = { ok: true } | { ok: false; message: string };

export { formatValidationErrors } from './validation-errors.js';

function compileAll(schemas: Readonly<Record<string, TSchema>>): Readonly<Record<string, Validator>> {
  const out: Record<string, Validator> = Object.create(null);
  for (const [name, schema] of Object.entries(schemas)) out[name] = Compile(schema);
  return Object.freeze(out);
}

/** Compiled inbound request-frame validator. */
export const REQUEST_FRAME_VALIDATOR: Validator = Compile(RequestFrame);
/** Compiled outbound frame validators, by frame `type`. */
export const SERVER_FRAME_VALIDATORS: Readonly<Record<'res' | 'event', Validator>> = Object.freeze({
  res: Compile(ResponseFrame),
  event: Compile(EventFrame),
});
/** Compiled params validators, by method (`connect` included). */
export const PARAMS_VALIDATORS = compileAll(METHOD_PARAMS);
/** Compiled result validators, for the methods in `METHOD_RESULTS`. */
export const RESULT_VALIDATORS = compileAll(METHOD_RESULTS);
/** Compiled event payload validators, by event name. */
export const EVENT_PAYLOAD_VALIDATORS = compileAll(EVENT_PAYLOADS);
/** The `connect` params validator (the same object as `PARAMS_VALIDATORS.connect`). */
export const CONNECT_PARAMS_VALIDATOR: Validator = PARAMS_VALIDATORS.connect;

if (METHOD_PARAMS.connect !== ConnectParams) throw new Error('METHOD_PARAMS.connect must be ConnectParams');

const OK: ValidationResult = Object.freeze({ ok: true });

function run(validator: Validator, value: unknown): ValidationResult {
  if (validator.Check(value)) return OK;
  return { ok: false, message: formatValidationErrors(validator.Errors(value)) };
}

function lookup(table: Readonly<Record<string, Validator>>, key: string): Validator | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** An inbound frame against `RequestFrame`. Message goes after `invalid request frame: `. */
export function validateFrame(value: unknown): ValidationResult {
  return run(REQUEST_FRAME_VALIDATOR, value);
}

/** `connect` params. Message goes after `invalid connect params: `. */
export function validateConnectParams(value: unknown): ValidationResult {
  return run(CONNECT_PARAMS_VALIDATOR, value);
}

/** Whether `method` has a params schema (every method of spec §7.3 plus `connect`). */
export function hasParamsSchema(method: string): boolean {
  return lookup(PARAMS_VALIDATORS, method) !== undefined;
}

/**
 * A method's params. Absent params (`undefined`) are checked as `{}`. Message goes after
 * `invalid <method> params: `. A method without a schema answers `unknown method: <method>`; dispatch
 * should have rejected it before validation.
 */
export function validateParams(method: string, value: unknown): ValidationResult {
  const validator = lookup(PARAMS_VALIDATORS, method);
  if (!validator) return { ok: false, message: `unknown method: ${method}` };
  return run(validator, value === undefined ? {} : value);
}

/** A successful result payload, for methods with a result schema (others pass). For tests and debug checks. */
export function validateResult(method: string, payload: unknown): ValidationResult {
  const validator = lookup(RESULT_VALIDATORS, method);
  return validator ? run(validator, payload) : OK;
}

/** An event payload; events without a schema fail (unknown events are never sent). */
export function validateEventPayload(event: string, payload: unknown): ValidationResult {
  const validator = lookup(EVENT_PAYLOAD_VALIDATORS, event);
  if (!validator) return { ok: false, message: `unknown event: ${event}` };
  return run(validator, payload);
}

/** A frame the server is about to send (`res` or `event`), envelope only. */
export function validateServerFrame(value: unknown): ValidationResult {
  const type = value !== null && typeof value === 'object' ? (value as { type?: unknown }).type : undefined;
  if (type === 'res' || type === 'event') return run(SERVER_FRAME_VALIDATORS[type], value);
  return { ok: false, message: `at /type: must be 'res' or 'event'` };
}
