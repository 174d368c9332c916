import { ConfigError, type GatewayConfig } from './gateway-config.js';
import { DEFAULTS } from './options.js';
import type { OptionReader } from './reader.js';

// The model side: which model, the OpenAI-compatible provider, the model catalog, and the built-in tools.

const OPENAI_BASE_URL = 'https://api.openai.com/v1';
const OPENAI_MODEL = 'gpt-4o-mini';

/** The built-in tools `--tools` may enable (src/agent/tools/). */
export const BUILTIN_TOOLS: readonly string[] = ['time.now', 'nodes.invoke'];

/** `--model`: mock or openai. */
export function modelKind(o: OptionReader): GatewayConfig['model'] {
  const model = o.str('model') ?? DEFAULTS.model;
  if (model !== 'mock' && model !== 'openai') throw new ConfigError(`--model must be "mock" or "openai", got "${model}"`);
  return model;
}

/** `--model-catalog`; an empty list means no catalog. */
export function modelCatalog(o: OptionReader): string[] | undefined {
  const catalog = o.list('model-catalog');
  return catalog && catalog.length > 0 ? catalog : undefined;
}

/** `--openai-base-url` (an http(s) URL, no trailing slash) and `--openai-model`. */
export function openaiEndpoint(o: OptionReader): Pick<GatewayConfig, 'openaiBaseUrl' | 'openaiModel'> {
  const openaiBaseUrl = (o.str('openai-base-url') ?? OPENAI_BASE_URL).trim().replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(openaiBaseUrl) || !URL.canParse(openaiBaseUrl)) {
    throw new ConfigError(`--openai-base-url must be an http(s) URL such as http://127.0.0.1:11434/v1 (got "${openaiBaseUrl}")`);
  }
  return { openaiBaseUrl, openaiModel: o.str('openai-model')?.trim() || OPENAI_MODEL };
}

/** `--tools` (built-in names only, each once) and `--max-tool-steps` (1 to 100). */
export function toolRules(o: OptionReader): Pick<GatewayConfig, 'tools' | 'maxToolSteps'> {
  const tools = o.list('tools') ?? [];
  for (const t of tools) {
    if (!BUILTIN_TOOLS.includes(t)) throw new ConfigError(`--tools: unknown tool "${t}" (available: ${BUILTIN_TOOLS.join(', ')})`);
  }
  const maxToolSteps = o.int('max-tool-steps') ?? 8;
  if (maxToolSteps < 1 || maxToolSteps > 100) throw new ConfigError('--max-tool-steps must be between 1 and 100');
  return { tools: [...new Set(tools)], maxToolSteps };
}

/**
 * `--model openai` against api.openai.com needs OPENAI_API_KEY; local servers (Ollama, vLLM, LM Studio)
 * need no key, but api.openai.com without one would fail every run.
 */
export function requireOpenAiKey(config: GatewayConfig, env: NodeJS.ProcessEnv): void {
  if (config.model === 'openai' && !env.OPENAI_API_KEY?.trim() && new URL(config.openaiBaseUrl).hostname.toLowerCase() === 'api.openai.com') {
    throw new ConfigError('--model openai against api.openai.com needs OPENAI_API_KEY (or set --openai-base-url to a local server)');
  }
}
