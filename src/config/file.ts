import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { coerce, kebab } from './coerce.js';
import { ConfigError } from './gateway-config.js';
import { OPTIONS, type OptionName, type RawOptions } from './options.js';

/** Reads a `--config` file (JSON or YAML, the flags' names); an unknown key or a bad value is a ConfigError. */
export function readConfigFile(path: string): RawOptions {
  const doc = parseConfigText(path, readText(path));
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`invalid config file ${path}: expected a mapping of options`);
  const out: RawOptions = {};
  for (const [key, value] of Object.entries(doc)) {
    const name = kebab(key);
    if (!Object.hasOwn(OPTIONS, name)) throw new ConfigError(`unknown option "${key}" in config file ${path}`);
    out[name as OptionName] = coerce(name as OptionName, value, `config file key "${key}"`);
  }
  return out;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function parseConfigText(path: string, text: string): unknown {
  try {
    // YAML is a superset of JSON, so one parser reads both; loaded only when a config file is given
    const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
    return parse(text);
  } catch (err) {
    throw new ConfigError(`invalid config file ${path}: ${(err as Error).message.split('\n')[0]}`);
  }
}
