import { fromPromise } from 'xstate';
import type { Bus, BusEvents, RunErrorInfo, RunRef } from '../core/bus.js';
import { RunError, type RunInput, type Runner, type Usage } from '../core/run.js';
import type { QueuedRun } from '../machines/session.js';
import { StorageUnavailable } from '../store/storage-health.js';

export const EMPTY_REPLY_FALLBACK = "I didn't produce a visible reply. Please try again.";

/**
 * The side effect behind a session's `executeRun`: drives the runner and publishes the run's events on the
 * bus. It never rejects. When the session stops it (cancel, shutdown) its signal aborts: it publishes
 * `run.cancelled` with the text so far at once — or `run.failed` when `abortReason` names a reason (the run
 * deadline) — and ignores whatever the runner yields afterwards.
 *
 * A merged (collect-mode) turn runs the runner once, on the messages' texts joined by a blank line (and all
 * their parts), and publishes every event once per message id, so each request sees its own complete run
 * with the shared reply; the events of a merged turn carry `turn` (its first id and all ids).
 *
 * When the write of `run.started` or `run.completed` fails for lack of disk (publishing throws
 * StorageUnavailable, and nobody heard of the event), the run ends `failed` with that error instead: it is
 * never left running, and whoever waits for it gets an answer.
 */
export function createRunExecutor(deps: {
  runner: Runner;
  bus: Bus;
  now?: () => number;
  /** Asked when the run's signal aborts: a reason fails the run with it instead of cancelling it. */
  abortReason?: (runId: string) => RunErrorInfo | undefined;
}) {
  const { runner, bus } = deps;
  const now = deps.now ?? Date.now;
  return fromPromise<void, QueuedRun>(async ({ input: queued, signal }) => {
    const members = [queued, ...(queued.merged ?? [])];
    const turn = members.length > 1 ? { leadRunId: queued.runId, runIds: members.map((m) => m.runId) } : undefined;
    const refs: RunRef[] = members.map((m) => ({ runId: m.runId, sessionKey: m.input.sessionKey, ...(turn ? { turn } : {}) }));
    // one emit per message of the turn (a plain run has one)
    const publish = <K extends keyof BusEvents & `run.${string}`>(name: K, fields: (ref: RunRef) => BusEvents[K]) => {
      for (const ref of refs) bus.emit(name, fields(ref));
    };
    // the ending event, once per message: a write failing part-way through a turn ends the rest differently
    let ended = 0;
    const end = <K extends 'run.completed' | 'run.failed' | 'run.cancelled'>(name: K, fields: (ref: RunRef) => BusEvents[K]) => {
      for (; ended < refs.length; ended++) bus.emit(name, fields(refs[ended]));
    };
    let text = '';
    let complete = false; // a complete response arrived: later chunks are ignored
    let usage: Usage | undefined;
    let settled = false;
    const onAbort = () => {
      const reason = deps.abortReason?.(queued.runId);
      if (settled) return;
      settled = true;
      const at = now();
      if (reason) end('run.failed', (ref) => ({ ...ref, at, error: reason, reply: text }));
      else end('run.cancelled', (ref) => ({ ...ref, at, reply: text, started: true }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const startedAt = now();
      publish('run.started', (ref) => ({ ...ref, at: startedAt }));
      for await (const event of runner.run(turn ? mergedInput(members) : queued.input, signal)) {
        if (settled) return;
        if (event.type === 'delta') {
          if (complete) continue;
          text += event.text;
          publish('run.delta', (ref) => ({ ...ref, delta: event.text, text }));
        } else if (event.type === 'message') {
          complete = true;
          text = event.text;
          publish('run.message', (ref) => ({ ...ref, text }));
        } else if (event.type === 'usage') {
          usage = addUsage(usage, event.usage);
          const u = usage;
          publish('run.usage', (ref) => ({ ...ref, usage: u }));
        } else if (event.type === 'tool') {
          // text that accompanies a tool call is a preamble, not the answer (http-gateway.md §3)
          if (event.phase === 'start' && !complete) text = '';
          const { type: _type, ...tool } = event;
          publish('run.tool', (ref) => ({ ...ref, ...tool }));
        }
      }
      if (settled) return;
      settled = true;
      const reply = text.trim() === '' ? EMPTY_REPLY_FALLBACK : text;
      const at = now();
      const u = usage && usage.total_tokens + usage.prompt_tokens + usage.completion_tokens > 0 ? { usage } : {};
      end('run.completed', (ref) => ({ ...ref, at, reply, ...u }));
    } catch (err) {
      // a storage failure is a write of run.started or run.completed that nobody heard of: the run still ends
      const unavailable = err instanceof StorageUnavailable;
      if (settled && !unavailable) return;
      settled = true;
      const type = unavailable ? err.type : err instanceof RunError && err.type ? err.type : 'internal_error';
      const message = err instanceof Error ? err.message : String(err);
      const at = now();
      end('run.failed', (ref) => ({ ...ref, at, error: { type, message }, reply: text }));
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  });
}

/** The runner's input for a merged turn: the first message's options, every message's text and parts. */
function mergedInput(members: QueuedRun[]): RunInput {
  const first = members[0].input;
  return {
    ...first,
    text: members.map((m) => m.input.text).filter((t) => t !== '').join('\n\n'),
    parts: members.flatMap((m) => m.input.parts),
  };
}

function addUsage(a: Usage | undefined, b: Usage): Usage {
  if (!a) return { ...b };
  return {
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  };
}
