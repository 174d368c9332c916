import type { ChatMessage, ChatModel, ToolCallRequest } from './chat-model.js';
import { buildMessages } from './messages.js';
import type { RunEvent, RunInput, Runner } from '../core/run.js';
import type { ToolRegistry } from './tools/registry.js';

// The agent loop: ask the model; if it calls tools, run them and feed the results back; repeat until it
// answers in text. At most `maxToolSteps` rounds of tools, then one last turn with no tools offered so
// the run always ends with an answer. Cancellation is checked at every await: the model stream gets the
// signal, every tool gets it, and a tool that ignores it is abandoned rather than waited for.

/** The model and tools of an agent loop, and how tool calls are run. */
export interface AgentLoopOptions {
  model: ChatModel;
  tools: ToolRegistry;
  /** Run the calls of one turn concurrently (otherwise in the order the model gave them). */
  parallelTools?: boolean;
  maxToolSteps?: number;
}

/** Rounds of tool calls allowed per run before the final tool-less turn. */
export const DEFAULT_MAX_TOOL_STEPS = 8;
/** Tool output fed back to the model is cut here so one noisy tool cannot blow the context. */
const MAX_RESULT_CHARS = 16_000;

interface Settled {
  call: ToolCallRequest;
  name: string;
  content: string;
  isError: boolean;
}

/** A Runner that alternates model turns and tool calls until the model answers in text (see above). */
export function createAgentLoop(opts: AgentLoopOptions): Runner {
  const maxSteps = opts.maxToolSteps ?? DEFAULT_MAX_TOOL_STEPS;
  return {
    async *run(input: RunInput, signal: AbortSignal): AsyncIterable<RunEvent> {
      const messages: ChatMessage[] = buildMessages(input);
      for (let step = 0; step <= maxSteps; step++) {
        signal.throwIfAborted();
        const offerTools = step < maxSteps && opts.tools.size > 0;
        const turn = opts.model.turn({ messages, tools: offerTools ? opts.tools.specs() : [], model: input.model }, signal);
        let next = await turn.next();
        for (; !next.done; next = await turn.next()) yield next.value;
        const { text, toolCalls } = next.value;
        // with no tools offered, stray tool calls are ignored: the text (maybe empty) is the answer
        if (toolCalls.length === 0 || !offerTools) return;
        signal.throwIfAborted();
        messages.push({
          role: 'assistant', content: text || null,
          tool_calls: toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })),
        });
        const results = new Map<string, Settled>();
        for await (const event of runTools(toolCalls, input, signal, opts)) {
          if ('content' in event) results.set(event.call.id, event);
          else yield event;
        }
        // fed back in the model's order whatever order they finished in
        for (const call of toolCalls) {
          const r = results.get(call.id)!;
          messages.push({ role: 'tool', tool_call_id: call.id, content: r.content });
        }
      }
    },
  };
}

/** Yields a `tool` start event per call, then each result (a `tool` result event plus its Settled). */
async function* runTools(calls: ToolCallRequest[], input: RunInput, signal: AbortSignal, opts: AgentLoopOptions):
  AsyncGenerator<RunEvent | Settled> {
  const nameOf = (c: ToolCallRequest) => opts.tools.resolve(c.name)?.name ?? c.name;
  const resultEvent = (s: Settled): RunEvent => ({
    type: 'tool', phase: 'result', name: s.name, callId: s.call.id, isError: s.isError, ...(s.isError ? { detail: s.content.slice(0, 200) } : {}),
  });
  if (!opts.parallelTools) {
    for (const call of calls) {
      signal.throwIfAborted();
      yield { type: 'tool', phase: 'start', name: nameOf(call), callId: call.id };
      const settled = await execute(call, input, signal, opts.tools);
      yield resultEvent(settled);
      yield settled;
    }
    return;
  }
  for (const call of calls) yield { type: 'tool', phase: 'start', name: nameOf(call), callId: call.id };
  const pending = new Map(calls.map((call) => {
    const p = execute(call, input, signal, opts.tools);
    p.catch(() => {}); // on cancel the race below rejects once; the others must not surface as unhandled
    return [call.id, p] as const;
  }));
  while (pending.size > 0) {
    const settled = await Promise.race(pending.values());
    pending.delete(settled.call.id);
    yield resultEvent(settled);
    yield settled;
  }
}

/** Runs one call. A tool failure is reported to the model (it may recover); only cancellation throws. */
async function execute(call: ToolCallRequest, input: RunInput, signal: AbortSignal, tools: ToolRegistry): Promise<Settled> {
  const tool = tools.resolve(call.name);
  const fail = (message: string): Settled => ({ call, name: tool?.name ?? call.name, content: JSON.stringify({ error: message }), isError: true });
  if (!tool) return fail(`unknown tool "${call.name}"`);
  let args: unknown;
  try {
    args = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
  } catch {
    return fail('arguments are not valid JSON');
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return fail('arguments must be a JSON object');
  try {
    const out = await abortable(tool.run(args as Record<string, unknown>, { signal, sessionKey: input.sessionKey, runId: input.runId }), signal);
    const content = typeof out === 'string' ? out : JSON.stringify(out ?? null);
    return { call, name: tool.name, content: content.length > MAX_RESULT_CHARS ? `${content.slice(0, MAX_RESULT_CHARS)}…[truncated]` : content, isError: false };
  } catch (err) {
    signal.throwIfAborted();
    return fail(err instanceof Error ? err.message : String(err));
  }
}

/** Settles with the promise, or rejects as soon as the signal aborts (the tool is left to wind down). */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      p.catch(() => {}); // its outcome no longer matters, but a rejection must not go unhandled
      reject(signal.reason);
      return;
    }
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
