// Validation error text, in the format of OpenClaw's `formatValidationErrors`
// (`packages/gateway-protocol/src/validation-errors.ts`), which clients and tests match on:
//   additionalProperties → `at root: unexpected property 'extra'` / `at /client: unexpected property 'x'`
//   required             → `must have required property 'idempotencyKey'` / `at /device: must have …`
//   anything else        → `at /client/id: must be equal to one of the allowed values` (the validator's message)
// Parts are de-duplicated and joined with `; `.

/** The fields of a TypeBox 1.x (ajv-style) validation error that the formatter reads. */
export interface ValidationErrorLike {
  keyword?: unknown;
  instancePath?: unknown;
  schemaPath?: unknown;
  params?: unknown;
  message?: unknown;
}

function firstString(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim()) return value;
  if (Array.isArray(value)) return value.find((entry): entry is string => typeof entry === 'string' && entry.trim().length > 0);
  return undefined;
}

function paramsOf(error: ValidationErrorLike): Record<string, unknown> {
  return error.params !== null && typeof error.params === 'object' ? (error.params as Record<string, unknown>) : {};
}

/**
 * TypeBox 1.4 reports each unexpected property twice: a `boolean` ("schema is false") error at the property's
 * own path, under `…/additionalProperties`, and the `additionalProperties` error at the object. TypeBox 1.3
 * (the version OpenClaw's validators were built with) reports only the latter, and OpenClaw's observed text
 * is only `at root: unexpected property 'extra'`, so the duplicate is dropped.
 */
export function normalizeValidationErrors(errors: readonly ValidationErrorLike[]): ValidationErrorLike[] {
  return errors.filter((error) => !(
    error.keyword === 'boolean'
    && typeof error.schemaPath === 'string'
    && error.schemaPath.endsWith('/additionalProperties')
  ));
}

/** OpenClaw's compact operator-facing text for a list of validation errors. */
export function formatValidationErrors(errors: readonly ValidationErrorLike[] | null | undefined): string {
  if (!errors?.length) return 'unknown validation error';
  const parts: string[] = [];
  for (const error of normalizeValidationErrors(errors)) {
    const keyword = typeof error.keyword === 'string' ? error.keyword : '';
    const instancePath = typeof error.instancePath === 'string' ? error.instancePath : '';
    const params = paramsOf(error);
    if (keyword === 'additionalProperties') {
      const property = firstString(params.additionalProperty) ?? firstString(params.additionalProperties);
      if (property) {
        parts.push(`${instancePath ? `at ${instancePath}` : 'at root'}: unexpected property '${property}'`);
        continue;
      }
    }
    if (keyword === 'required') {
      const property = firstString(params.missingProperty) ?? firstString(params.requiredProperties);
      if (property) {
        parts.push(`${instancePath ? `at ${instancePath}: ` : ''}must have required property '${property}'`);
        continue;
      }
    }
    const failingKeyword = typeof params.failingKeyword === 'string' ? params.failingKeyword : '';
    const message = keyword === 'then' || (keyword === 'if' && failingKeyword === 'then')
      ? 'must have required conditional properties'
      : typeof error.message === 'string' && error.message.trim() ? error.message : 'validation error';
    parts.push(`${instancePath ? `at ${instancePath}: ` : ''}${message}`);
  }
  const unique = [...new Set(parts.filter((part) => part.trim()))];
  return unique.length > 0 ? unique.join('; ') : 'unknown validation error';
}
