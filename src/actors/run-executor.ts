import { fromPromise } from 'xstate';
import type { Bus } from '../bus.js';
import { RunError, type Runner, type Usage } from '../agent/runner.js';
import type { QueuedRun } from '../machines/session.js';

export const EMPTY_REPLY_FALLBACK = "I didn't produce a visible reply. Please try again.";

/**
 * The side effect behind a session's `executeRun`: drives the runner and publishes the run's events on the
 * bus. It never rejects. When the session stops it (cancel, shutdown) its signal aborts: it publishes
 * `run.cancelled` with the text so far at once, and ignores whatever the runner yields afterwards.
 */
export function createRunExecutor(deps: { runner: Runner; bus: Bus; now?: () => number }) {
  const { runner, bus } = deps;
  const now = deps.now ?? Date.now;
  return fromPromise<void, QueuedRun>(async ({ input: queued, signal }) => {
    const ref = { runId: queued.runId, sessionKey: queued.input.sessionKey };
    let text = '';
    let complete = false; // a complete response arrived: later chunks are ignored
    let usage: Usage | undefined;
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      bus.emit('run.cancelled', { ...ref, at: now(), reply: text, started: true });
    };
    signal.addEventListener('abort', onAbort, { once: true });
    bus.emit('run.started', { ...ref, at: now() });
    try {
      for await (const event of runner.run(queued.input, signal)) {
        if (settled) return;
        if (event.type === 'delta') {
          if (complete) continue;
          text += event.text;
          bus.emit('run.delta', { ...ref, delta: event.text, text });
        } else if (event.type === 'message') {
          complete = true;
          text = event.text;
          bus.emit('run.message', { ...ref, text });
        } else {
          usage = addUsage(usage, event.usage);
          bus.emit('run.usage', { ...ref, usage });
        }
      }
      if (settled) return;
      settled = true;
      const reply = text.trim() === '' ? EMPTY_REPLY_FALLBACK : text;
      bus.emit('run.completed', { ...ref, at: now(), reply, ...(usage && usage.total_tokens + usage.prompt_tokens + usage.completion_tokens > 0 ? { usage } : {}) });
    } catch (err) {
      if (settled) return;
      settled = true;
      const type = err instanceof RunError && err.type ? err.type : 'internal_error';
      const message = err instanceof Error ? err.message : String(err);
      bus.emit('run.failed', { ...ref, at: now(), error: { type, message }, reply: text });
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  });
}

function addUsage(a: Usage | undefined, b: Usage): Usage {
  if (!a) return { ...b };
  return {
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  };
}
