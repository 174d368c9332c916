import type { ChatCompletionFunctionTool } from 'openai/resources/chat/completions';

// The tool interface and the registry the agent loop consults. A tool is a name, a description, a JSON
// schema for its arguments and an async `run`. Users add their own by implementing `Tool` and passing it
// to the registry (see README "Tools").
//
// OpenAI-compatible APIs only accept function names matching ^[a-zA-Z0-9_-]{1,64}$, while our tool names
// use dots (`time.now`): the registry maps each name to a wire name (`time_now`) and back.

/** What a running tool is told about the run that called it. */
export interface ToolContext {
  /** Aborts when the run is cancelled: a tool must stop promptly (close sockets, kill children). */
  signal: AbortSignal;
  sessionKey: string;
  runId: string;
}

/** A tool the model can call. */
export interface Tool {
  /** Unique, e.g. `time.now`. Letters, digits, `_`, `-`, `.`; at most 64 characters. */
  name: string;
  /** Told to the model: what the tool does and when to use it. */
  description: string;
  /** JSON schema of the arguments object. */
  parameters: Record<string, unknown>;
  /** The result is sent to the model: a string as is, anything else as JSON. Throw to report a failure. */
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<unknown>;
}

const NAME = /^[a-zA-Z0-9_.-]{1,64}$/;

/** The tools offered to the model, keyed by wire name; refuses invalid and clashing names. */
export class ToolRegistry {
  private readonly byWire = new Map<string, Tool>();

  constructor(tools: readonly Tool[] = []) {
    for (const tool of tools) this.add(tool);
  }

  add(tool: Tool): void {
    if (!NAME.test(tool.name)) throw new Error(`invalid tool name "${tool.name}"`);
    const wire = wireName(tool.name);
    const clash = this.byWire.get(wire);
    if (clash) throw new Error(`tool "${tool.name}" clashes with "${clash.name}"`);
    this.byWire.set(wire, tool);
  }

  get size(): number {
    return this.byWire.size;
  }

  names(): string[] {
    return [...this.byWire.values()].map((t) => t.name);
  }

  /** The tool behind a wire name the model used; undefined for a name we never offered. */
  resolve(wire: string): Tool | undefined {
    return this.byWire.get(wire);
  }

  /** The `tools` field of a chat completion request. */
  specs(): ChatCompletionFunctionTool[] {
    return [...this.byWire.entries()].map(([wire, t]) => ({
      type: 'function',
      function: { name: wire, description: t.description, parameters: t.parameters },
    }));
  }
}

/** The function name sent to the model for a tool name (dots become underscores). */
export function wireName(name: string): string {
  return name.replace(/\./g, '_');
}

/**
 * Picks the enabled built-in tools by name (`--tools time.now,nodes.invoke`). An unknown name is an error
 * so a typo does not silently leave a tool off.
 */
export function selectTools(enabled: readonly string[], available: readonly Tool[]): Tool[] {
  const byName = new Map(available.map((t) => [t.name, t]));
  return enabled.map((name) => {
    const tool = byName.get(name);
    if (!tool) throw new Error(`unknown tool "${name}" (available: ${[...byName.keys()].join(', ')})`);
    return tool;
  });
}
