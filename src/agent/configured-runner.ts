import { createMockRunner } from './mock.js';
import { withModelSetup, type ModelSetup } from './model-setup.js';
import type { Runner } from '../core/run.js';
import type { InvokeNode } from './tools/nodes-invoke.js';
import type { Tool } from './tools/registry.js';

// Picks the runner for `--model`. The OpenAI SDK and the tools load only for `--model openai`, so the
// default mock gateway starts without paying for them.

/** The model settings the runner needs (a slice of the gateway's configuration). */
export interface ModelSettings extends ModelSetup {
  model: 'mock' | 'openai';
  mockDelayMs: number;
  tools: readonly string[];
  openaiBaseUrl: string;
  openaiModel: string;
  openaiTimeoutMs: number;
  enableParallelTools: boolean;
  maxToolSteps: number;
}

/** What the runner is given besides its settings. */
export interface RunnerDeps {
  /** nodes.invoke's way to the node registry (bound lazily: the WS plane loads after listen). */
  invokeNode: InvokeNode;
  /** Extra tools, always offered (embedders and tests add their own here). */
  extraTools?: readonly Tool[];
}

/** The runner for the configured model: the built-in mock, or the OpenAI-compatible provider with its tools. */
export async function createConfiguredRunner(config: ModelSettings, deps: RunnerDeps): Promise<Runner> {
  if (config.model !== 'openai') return createMockRunner({ delayMs: config.mockDelayMs });
  const [{ createOpenAIRunner }, { ToolRegistry, selectTools }, { createTimeNowTool }, { createNodesInvokeTool }] = await Promise.all([
    import('./openai.js'), import('./tools/registry.js'), import('./tools/time-now.js'), import('./tools/nodes-invoke.js'),
  ]);
  const builtins = [createTimeNowTool(), createNodesInvokeTool(deps.invokeNode)];
  const tools = new ToolRegistry([...selectTools(config.tools, builtins), ...(deps.extraTools ?? [])]);
  const runner = createOpenAIRunner({
    baseURL: config.openaiBaseUrl, apiKey: process.env.OPENAI_API_KEY?.trim(), model: config.openaiModel, timeoutMs: config.openaiTimeoutMs,
    tools, parallelTools: config.enableParallelTools, maxToolSteps: config.maxToolSteps,
  });
  // catalog aliases and the gateway's system prompt, before the provider sees the run
  return withModelSetup(runner, { modelAliases: config.modelAliases, systemPrompt: config.systemPrompt });
}
