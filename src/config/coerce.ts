import { ConfigError } from './gateway-config.js';
import { OPTIONS, type OptionName, type RawValue } from './options.js';

// Reading one flag or config file value as its option's kind (string, boolean, int, list).

/** `maxBodyBytes` → `max-body-bytes`: config files may spell option names in camelCase. */
export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `value` read as the kind of option `name`; `where` names its source in the error (flag, config file key). */
export function coerce(name: OptionName, value: unknown, where: string): RawValue {
  if (value === null || value === undefined) return undefined;
  const kind = OPTIONS[name];
  const bad = (what: string) => new ConfigError(`--${name} (${where}) must be ${what}`);
  switch (kind) {
    case 'string':
      if (typeof value !== 'string' && typeof value !== 'number') throw bad('a string');
      return String(value);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw bad('true or false');
    case 'int': {
      const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(String(value)) ? Number(value) : NaN;
      if (!Number.isSafeInteger(n) || n < 0) throw bad('a non-negative integer');
      return n;
    }
    case 'list':
      if (Array.isArray(value)) return value.map((v) => String(v));
      if (typeof value === 'string') return value.split(',');
      throw bad('a comma-separated list');
  }
}
