import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
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

/**
 * `--model-catalog`: the names a request may ask for, each `alias=provider-model` or a bare name (itself);
 * an empty list means no catalog.
 */
export function modelCatalog(o: OptionReader): Pick<GatewayConfig, 'modelCatalog' | 'modelAliases'> {
  const entries = o.list('model-catalog');
  if (!entries || entries.length === 0) return { modelCatalog: undefined, modelAliases: undefined };
  const aliases: Record<string, string> = Object.create(null);
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const alias = (eq < 0 ? entry : entry.slice(0, eq)).trim();
    const target = (eq < 0 ? entry : entry.slice(eq + 1)).trim();
    if (alias === '' || target === '') throw new ConfigError(`--model-catalog: "${entry}" must be NAME or ALIAS=MODEL (e.g. fast=gpt-4o-mini)`);
    if (Object.hasOwn(aliases, alias)) throw new ConfigError(`--model-catalog: "${alias}" is listed twice`);
    aliases[alias] = target;
  }
  return { modelCatalog: Object.keys(aliases), modelAliases: aliases };
}

/** `--system-prompt TEXT`, or `@FILE` read now (a missing file is a ConfigError); blank = none. */
export function systemPrompt(o: OptionReader): string | undefined {
  const given = o.str('system-prompt');
  if (given === undefined) return undefined;
  let text = given;
  if (given.startsWith('@')) {
    const path = given.slice(1);
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError(`--system-prompt: cannot read ${resolve(path)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (give the text itself, or @ and a readable file)`);
    }
  }
  return text.trim() === '' ? undefined : text.trim();
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
