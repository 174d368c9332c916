import { isUtf8 } from 'node:buffer';
import { badRequest } from '../../core/errors.js';

// Decoding a request body the way the tRPC gateway's clients expect (`decode json: …`), but refusing the
// inputs that would hurt us: invalid UTF-8 and nesting deep enough to stall the event loop in JSON.parse.

const MAX_DEPTH = 512;

/** Parses a request body as JSON; invalid UTF-8, an empty body, deep nesting or bad JSON is a 400 `decode json: …`. */
export function decodeJsonBody(body: Uint8Array): unknown {
  if (!isUtf8(body)) throw badRequest('decode json: invalid UTF-8 in request body');
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (text.trim() === '') throw badRequest('decode json: EOF');
  if (nestingExceeds(text, MAX_DEPTH)) throw badRequest(`decode json: nesting deeper than ${MAX_DEPTH} levels`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`decode json: ${(err as Error).message}`);
  }
}

/** A linear scan for bracket depth outside strings; cheap next to JSON.parse itself. */
function nestingExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}
