import type { GatewayConfig } from '../config.js';
import { createMockRunner } from './mock.js';
import type { Runner } from './runner.js';
import type { InvokeNode } from './tools/nodes-invoke.js';
import type { Tool } from './tools/registry.js';

// Picks the runner for `--model`. The OpenAI SDK and the tools load only for `--model openai`, so the
// default mock gateway starts without paying for them.

export interface RunnerDeps {
  /** nodes.invoke's way to the node registry (bound lazily: the WS plane loads after listen). */
  invokeNode: InvokeNode;
  /** Extra tools, always offered (embedders and tests add their own here). */
  extraTools?: readonly Tool[];
}

export async function createConfiguredRunner(config: GatewayConfig, deps: RunnerDeps): Promise<Runner> {
  if (config.model !== 'openai') return createMockRunner({ delayMs: config.mockDelayMs });
  const [{ createOpenAIRunner }, { ToolRegistry, selectTools }, { createTimeNowTool }, { createNodesInvokeTool }] = await Promise.all([
    import('./openai.js'), import('./tools/registry.js'), import('./tools/time-now.js'), import('./tools/nodes-invoke.js'),
  ]);
  const builtins = [createTimeNowTool(), createNodesInvokeTool(deps.invokeNode)];
  const tools = new ToolRegistry([...selectTools(config.tools, builtins), ...(deps.extraTools ?? [])]);
  return createOpenAIRunner({
    baseURL: config.openaiBaseUrl, apiKey: process.env.OPENAI_API_KEY?.trim(), model: config.openaiModel, timeoutMs: config.openaiTimeoutMs,
    tools, parallelTools: config.enableParallelTools, maxToolSteps: config.maxToolSteps,
  });
}
