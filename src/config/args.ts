import { parseArgs } from 'node:util';
import { coerce } from './coerce.js';
import { readConfigFile } from './file.js';
import { ConfigError, type GatewayConfig } from './gateway-config.js';
import { requireOpenAiKey } from './model.js';
import { OPTIONS, type OptionName, type RawOptions } from './options.js';
import { resolveConfig } from './resolve.js';
import { inspectFeedUrl } from './inspect-feed-url.js';

// `clawgate gateway` flags: flags, then a --config file (JSON or YAML, same keys), then defaults. Flags win.

/** The configuration `clawgate gateway <argv>` runs with (env: OPENCLAW_GATEWAY_TOKEN, OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL, TELEGRAM_BOT_TOKEN, CLAWGATE_INSPECT_WS). */
export function parseGatewayArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const flags = parseFlags(argv);
  const file = typeof flags.config === 'string' ? readConfigFile(flags.config) : undefined;
  const raw: RawOptions = file?.options ?? {};
  for (const name of Object.keys(OPTIONS) as OptionName[]) {
    if (flags[name] !== undefined) raw[name] = coerce(name, flags[name], 'flag');
  }
  if (raw.token === undefined && env.OPENCLAW_GATEWAY_TOKEN !== undefined) raw.token = env.OPENCLAW_GATEWAY_TOKEN;
  // the OpenAI SDK's own variables, below flags and the config file
  if (raw['openai-base-url'] === undefined && env.OPENAI_BASE_URL?.trim()) raw['openai-base-url'] = env.OPENAI_BASE_URL;
  if (raw['openai-model'] === undefined && env.OPENAI_MODEL?.trim()) raw['openai-model'] = env.OPENAI_MODEL;
  const channels = typeof flags.config === 'string' ? { block: file?.channels, file: flags.config, env } : undefined;
  const config = resolveConfig(raw, channels);
  requireOpenAiKey(config, env);
  if (config.inspect && env.CLAWGATE_INSPECT_WS?.trim()) config.inspectFeedUrl = inspectFeedUrl(env.CLAWGATE_INSPECT_WS);
  return config;
}

/** The flags as given (strings and booleans); an unknown flag or a stray positional is a ConfigError. */
function parseFlags(argv: string[]): Record<string, string | boolean | undefined> {
  const options = {
    ...Object.fromEntries(
      Object.entries(OPTIONS).map(([name, kind]) => [name, { type: kind === 'boolean' ? 'boolean' : 'string' }]),
    ),
    config: { type: 'string' },
  } as Record<string, { type: 'string' | 'boolean' }>;
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new ConfigError((err as Error).message.split('\n')[0]);
  }
}
