import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { createAgentLoop } from './agent-loop.js';
import type { ChatModel, ToolCallRequest, TurnResult } from './chat-model.js';
import { RunError, type RunEvent, type Runner } from '../core/run.js';
import { ToolRegistry } from './tools/registry.js';

// `--model openai`: any OpenAI-compatible chat completions endpoint (OpenAI, Ollama, vLLM, LM Studio),
// streamed. The SDK's own retries are off: we retry only 429s, honouring retry-after within a bounded
// budget, and abortably. Every failure becomes a RunError whose type the planes show to the client.

/** Endpoint, key, default model, timeouts and 429 retry budget of an OpenAI-compatible model. */
export interface OpenAIModelOptions {
  /** e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1 */
  baseURL: string;
  /** Local servers ignore it: a placeholder is sent when absent. */
  apiKey?: string;
  /** Used when the request names no model. */
  model: string;
  /** Deadline for the response headers, and the longest silence allowed between stream chunks. */
  timeoutMs?: number;
  /** 429 retries after the first attempt. */
  maxRateLimitRetries?: number;
  /** Total time spent waiting on retry-after across a turn; a longer wait fails at once. */
  maxRetryWaitMs?: number;
}

/** An OpenAI-compatible model plus the agent loop's tool settings. */
export interface OpenAIRunnerOptions extends OpenAIModelOptions {
  tools?: ToolRegistry;
  parallelTools?: boolean;
  maxToolSteps?: number;
}

/** Endpoint, model and timeout used when the flags name none. */
export const OPENAI_DEFAULTS = { baseURL: 'https://api.openai.com/v1', model: 'gpt-4o-mini', timeoutMs: 120_000 } as const;
const PLACEHOLDER_KEY = 'not-needed';

/** The `--model openai` runner: the agent loop over an OpenAI-compatible model. */
export function createOpenAIRunner(opts: OpenAIRunnerOptions): Runner {
  return createAgentLoop({
    model: createOpenAIModel(opts), tools: opts.tools ?? new ToolRegistry(), parallelTools: opts.parallelTools, maxToolSteps: opts.maxToolSteps,
  });
}

/** Official OpenAI needs a real key; local servers do not. */
export function needsApiKey(baseURL: string): boolean {
  try {
    return new URL(baseURL).hostname.toLowerCase() === 'api.openai.com';
  } catch {
    return false;
  }
}

/** A ChatModel streaming from an OpenAI-compatible endpoint, retrying only 429s within a budget. */
export function createOpenAIModel(opts: OpenAIModelOptions): ChatModel {
  const timeoutMs = opts.timeoutMs ?? OPENAI_DEFAULTS.timeoutMs;
  const maxRetries = opts.maxRateLimitRetries ?? 3;
  const maxWaitMs = opts.maxRetryWaitMs ?? 60_000;
  const client = new OpenAI({
    baseURL: opts.baseURL, apiKey: opts.apiKey || PLACEHOLDER_KEY, maxRetries: 0, timeout: timeoutMs, logLevel: 'off',
  });
  return {
    async *turn(req, signal) {
      let waited = 0;
      for (let attempt = 0; ; attempt++) {
        try {
          // a 429 arrives with the headers, before anything is yielded, so a retry never repeats output
          return yield* streamOnce(client, { ...req, model: req.model || opts.model }, signal, timeoutMs);
        } catch (err) {
          if (signal.aborted) throw signal.reason;
          if (err instanceof APIError && err.status === 429) {
            const wait = retryAfterMs(err.headers) ?? 500 * 2 ** attempt;
            if (attempt >= maxRetries || waited + wait > maxWaitMs) {
              throw new RunError(`the model provider is rate limiting requests (429 after ${attempt + 1} attempts): ${err.message}`, 'rate_limited');
            }
            await sleep(wait, undefined, { signal });
            waited += wait;
            continue;
          }
          throw toRunError(err, opts.baseURL, timeoutMs);
        }
      }
    },
  };
}

async function* streamOnce(client: OpenAI, req: Parameters<ChatModel['turn']>[0] & { model: string }, signal: AbortSignal,
  timeoutMs: number): AsyncGenerator<RunEvent, TurnResult, void> {
  // our own controller: the SDK's timeout covers only the headers, a stalled stream is caught here
  const stall = new AbortController();
  let stalled = false;
  const timer = setTimeout(() => {
    stalled = true;
    stall.abort();
  }, timeoutMs);
  try {
    const stream = await client.chat.completions.create({
      model: req.model, messages: req.messages, stream: true, stream_options: { include_usage: true },
      ...(req.tools.length > 0 ? { tools: req.tools } : {}),
    }, { signal: AbortSignal.any([signal, stall.signal]) });
    let text = '';
    let finished = false;
    // keyed by the endpoint's `index`: a Map, so `__proto__` or 1e9 reaches neither Array.prototype nor an array length
    const calls = new Map<number, ToolCallRequest>();
    // the SDK ends the iteration quietly on abort, so the reason is checked after the loop
    for await (const chunk of stream) {
      timer.refresh();
      if (chunk.usage) {
        const u = chunk.usage;
        yield { type: 'usage', usage: { prompt_tokens: u.prompt_tokens ?? 0, completion_tokens: u.completion_tokens ?? 0, total_tokens: u.total_tokens ?? 0 } };
      }
      const choice = chunk.choices?.[0];
      if (!choice) continue;
      if (choice.finish_reason) finished = true;
      const content = choice.delta?.content;
      if (content) {
        text += content;
        yield { type: 'delta', text: content };
      }
      for (const tc of choice.delta?.tool_calls ?? []) {
        if (!Number.isSafeInteger(tc.index) || tc.index < 0) throw new RunError('the model stream sent a tool call with an invalid index', 'stream_error');
        let call = calls.get(tc.index);
        if (!call) calls.set(tc.index, (call = { id: '', name: '', arguments: '' }));
        if (tc.id) call.id = tc.id;
        if (tc.function?.name) call.name = tc.function.name;
        if (tc.function?.arguments) call.arguments += tc.function.arguments;
      }
    }
    if (signal.aborted) throw signal.reason;
    if (stalled) throw new RunError(`the model stream stalled for ${timeoutMs} ms`, 'timeout');
    if (!finished) throw new RunError('the model stream ended before the model finished its answer', 'stream_error');
    const toolCalls = [...calls].sort(([a], [b]) => a - b).map(([, c], i) => ({ ...c, id: c.id || `call_${i}` }));
    if (toolCalls.some((c) => c.name === '')) throw new RunError('the model stream sent a tool call without a name', 'stream_error');
    return { text, toolCalls };
  } catch (err) {
    if (stalled && !signal.aborted && !(err instanceof RunError)) throw new RunError(`the model stream stalled for ${timeoutMs} ms`, 'timeout');
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** `retry-after-ms`, or `retry-after` in seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = Number(headers?.get('retry-after-ms') ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers?.get('retry-after');
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

function toRunError(err: unknown, baseURL: string, timeoutMs: number): RunError {
  if (err instanceof RunError) return err;
  if (err instanceof APIConnectionTimeoutError) return new RunError(`the model provider did not answer within ${timeoutMs} ms`, 'timeout');
  if (err instanceof APIConnectionError) return new RunError(`cannot reach the model provider at ${baseURL}: ${err.message}`, 'upstream_error');
  if (err instanceof APIError) {
    const status = err.status;
    if (status === 401 || status === 403) return new RunError(`the model provider refused the credentials (${status}): check OPENAI_API_KEY`, 'unauthorized');
    if (status === undefined) return new RunError(`the model stream reported an error: ${err.message}`, 'stream_error');
    if (isContextLengthError(err)) return new RunError(`the conversation is longer than the model's context (${status}): ${err.message}`, 'context_length_exceeded');
    return new RunError(`the model provider failed (${status}): ${err.message}`, 'upstream_error');
  }
  if (err instanceof SyntaxError) return new RunError('the model stream was malformed (a chunk is not JSON)', 'stream_error');
  return new RunError(err instanceof Error ? err.message : String(err), 'internal_error');
}

/** OpenAI says `code: context_length_exceeded`; compatible servers (vLLM, Ollama) only say it in the message. */
function isContextLengthError(err: APIError): boolean {
  return err.code === 'context_length_exceeded' || (err.status === 400 && /context length|context window|maximum context/i.test(err.message));
}
