import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { coerce, kebab } from './coerce.js';
import { ConfigError } from './gateway-config.js';
import { OPTIONS, type OptionName, type RawOptions } from './options.js';

/** What a `--config` file gives: the options (flags' names) and its `channels` block, unread (src/config/channels.ts). */
export interface ConfigFileContents {
  options: RawOptions;
  /** The `channels` key as parsed; undefined when the file has none. */
  channels?: unknown;
}

/** Reads a `--config` file (JSON or YAML, the flags' names, plus `channels`); an unknown key or a bad value is a ConfigError. */
export function readConfigFile(path: string): ConfigFileContents {
  const doc = parseConfigText(path, readText(path));
  if (doc === null || doc === undefined) return { options: {} };
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`invalid config file ${path}: expected a mapping of options`);
  const out: ConfigFileContents = { options: {} };
  const spelled = new Map<string, string>();
  for (const [key, value] of Object.entries(doc)) {
    const name = kebab(key);
    const earlier = spelled.get(name);
    if (earlier !== undefined) throw new ConfigError(`"${earlier}" and "${key}" are the same option, give one of them in config file ${path}`);
    spelled.set(name, key);
    // not an option: no flag sets it (spec channels.md §2.1)
    if (name === 'channels') {
      out.channels = value;
      continue;
    }
    if (!Object.hasOwn(OPTIONS, name)) throw new ConfigError(`unknown option "${key}" in config file ${path}`);
    out.options[name as OptionName] = coerce(name as OptionName, value, `config file key "${key}"`);
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
