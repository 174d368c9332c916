import { kebab } from './coerce.js';
import { ConfigError } from './gateway-config.js';

// Reading the mappings and scalar values of the config file's `channels` block. Keys are kebab-case, their
// camelCase spelling is the same key; a mapping becomes a Map (never an object indexed by input), so no key can
// name an Object.prototype member. A null value is "not given", as for the top-level options.

/** Where a `channels` value came from: its dotted path (`channels.telegram.dm-policy`) and the config file. */
export interface KeyPath {
  path: string;
  file: string;
}

/** `true` when `value` is a plain mapping (what YAML and JSON objects parse to). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The keys of the mapping at `at` by canonical (kebab-case) name, null values left out. A key not in `allowed`
 * is `unknown option "<path>.<key as written>"`; a key given in both spellings is an error.
 */
export function readKeys(value: unknown, at: KeyPath, allowed: readonly string[]): Map<string, unknown> {
  const keys = new Map<string, unknown>();
  if (value === null || value === undefined) return keys;
  if (!isMapping(value)) throw new ConfigError(`${at.path} must be a mapping in config file ${at.file}`);
  const spelled = new Map<string, string>();
  for (const [key, v] of Object.entries(value)) {
    const name = kebab(key);
    if (!allowed.includes(name)) throw new ConfigError(`unknown option "${at.path}.${key}" in config file ${at.file}`);
    const earlier = spelled.get(name);
    if (earlier !== undefined) {
      throw new ConfigError(`${at.path}: "${earlier}" and "${key}" are the same option, give one of them in config file ${at.file}`);
    }
    spelled.set(name, key);
    if (v !== null && v !== undefined) keys.set(name, v);
  }
  return keys;
}

/** The entries of the mapping at `at` with their keys as written (ids: `groups`, `accounts`), in file order. */
export function readIdMapping(value: unknown, at: KeyPath): [string, unknown][] {
  if (value === null || value === undefined) return [];
  if (!isMapping(value)) throw new ConfigError(`${at.path} must be a mapping in config file ${at.file}`);
  return Object.entries(value);
}

/** A boolean (`true`/`false`, or those words as strings). */
export function readBool(value: unknown, path: string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new ConfigError(`${path} must be true or false`);
}

/** One of `choices`. */
export function readChoice<T extends string>(value: unknown, path: string, choices: readonly T[]): T {
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(`${path} must be one of ${choices.join(', ')} (got ${JSON.stringify(value)})`);
}

/** An integer from `min` to `max` (a number or a string of digits). */
export function readIntRange(value: unknown, path: string, min: number, max: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ConfigError(`${path} must be an integer from ${min} to ${max}`);
  return n;
}

/** A finite number greater than 0. */
export function readPositiveNumber(value: unknown, path: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${path} must be a number greater than 0`);
  return n;
}

/** A list of strings (numbers, as YAML reads bare ids, become their decimal text). */
export function readStringList(value: unknown, path: string): string[] {
  if (!Array.isArray(value)) throw new ConfigError(`${path} must be a list`);
  return value.map((item) => {
    if (typeof item === 'string') return item;
    if (typeof item === 'number' && Number.isSafeInteger(item)) return String(item);
    throw new ConfigError(`${path} must be a list of strings (got ${JSON.stringify(item)})`);
  });
}

/** A non-empty string, trimmed; `what` completes `<path> must be …`. */
export function readString(value: unknown, path: string, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`${path} must be ${what}`);
  return value.trim();
}
