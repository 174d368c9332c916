import type { Tool } from '../../src/agent/tools/registry.js';

/** What a traced tool tells the model and answers (default: its name, any object, `{ name, args }`). */
export interface TracedToolShape {
  description?: string;
  parameters?: Record<string, unknown>;
  result?: (args: Record<string, unknown>) => unknown;
}

/**
 * A tool that records `start:<name>` / `end:<name>` in `trace` and finishes a few event-loop turns later,
 * so whether two calls overlapped shows in the trace, never in time.
 */
export function tracedTool(name: string, trace: string[], shape: TracedToolShape = {}): Tool {
  return {
    name, description: shape.description ?? name, parameters: shape.parameters ?? { type: 'object' },
    async run(args) {
      trace.push(`start:${name}`);
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      trace.push(`end:${name}`);
      return shape.result ? shape.result(args) : { name, args };
    },
  };
}
