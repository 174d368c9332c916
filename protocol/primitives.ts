import { Type, type TLiteral, type TObject, type TProperties, type TSchema, type TUnion } from 'typebox';

// Building blocks shared by every protocol file. They mirror the JSON Schema shapes of the published
// OpenClaw schema (`@openclaw/gateway-protocol` protocol.schema.json) so that validation errors read the same.

/** `{type:"string", minLength:1}` (OpenClaw's NonEmptyString). */
export const NonEmptyString = (options: { maxLength?: number; pattern?: string } = {}) =>
  Type.String({ minLength: 1, ...options });

/** `{type:"integer", minimum:0}`: timestamps, counters, durations. */
export const NonNegativeInteger = () => Type.Integer({ minimum: 0 });

/** `{type:"number", minimum:0}`. */
export const NonNegativeNumber = () => Type.Number({ minimum: 0 });

/** Closed object: `additionalProperties:false`, like every OpenClaw `closedObject`. */
export function Closed<T extends TProperties>(properties: T): TObject<T> {
  return Type.Object(properties, { additionalProperties: false });
}

/** Explicitly open object (`additionalProperties:true`), used only where the published schema is open. */
export function Open<T extends TProperties>(properties: T): TObject<T> {
  return Type.Object(properties, { additionalProperties: true });
}

type LiteralSchemas<T extends readonly string[]> = { [K in keyof T]: TLiteral<T[K]> };

/**
 * `anyOf` of string constants, the shape OpenClaw's `Type.Union([Type.Literal(…)…])` produces. Use it where
 * the published schema has `anyOf`/`const`; use {@link StringEnum} where it has `enum`.
 */
export function LiteralUnion<const T extends readonly string[]>(values: T): TUnion<[...LiteralSchemas<T>]> {
  return Type.Union(values.map((value) => Type.Literal(value))) as unknown as TUnion<[...LiteralSchemas<T>]>;
}

/** `{enum:[…]}`; a mismatch reads `must be equal to one of the allowed values`. */
export function StringEnum<const T extends string[]>(values: readonly [...T]) {
  return Type.Enum(values);
}

/**
 * `{type:"string", enum:[…]}`; a non-string reads `must be string; … must be equal to one of the allowed
 * values`. Use it where the published schema has `type` beside `enum`.
 */
export function TypedStringEnum<const T extends string[]>(values: readonly [...T]) {
  return Type.Enum(values, { type: 'string' });
}

/** `{type:"object", patternProperties:{"^.*$": value}}`: a string-keyed map. */
export function StringMap<T extends TSchema>(value: T) {
  return Type.Record(Type.String(), value);
}

/** `anyOf:[schema, {type:"null"}]`. */
export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}
