import { fromPromise } from 'xstate';
import type { BusEvents, RunErrorInfo, RunRef } from '../core/bus.js';
import { RunError, type RunInput, type Runner, type Usage } from '../core/run.js';
import type { QueuedRun } from '../machines/session.js';
import { StorageUnavailable } from '../store/storage-health.js';
import type { RunLifecycle, RunProgressName } from './run-lifecycle.js';

/** The reply of a run that produced no visible text. */
export const EMPTY_REPLY_FALLBACK = "I didn't produce a visible reply. Please try again.";

/** A running run's reply is checkpointed in the ledger at most this often. */
export const CHECKPOINT_EVERY_MS = 2_000;

/**
 * The side effect behind a session's `executeRun`: drives the runner and records and publishes the run's
 * steps through the lifecycle. It never rejects. When the session stops it (cancel, shutdown) its signal aborts: it publishes
 * `run.cancelled` with the text so far at once — or `run.failed` when `abortReason` names a reason (the run
 * deadline) — and ignores whatever the runner yields afterwards.
 *
 * A merged (collect-mode) turn runs the runner once, on the messages' texts joined by a blank line (and all
 * their parts), and publishes every event once per message id, so each request sees its own complete run
 * with the shared reply; the events of a merged turn carry `turn` (its first id and all ids).
 *
 * When the write of `started` or `completed` fails for lack of disk (the lifecycle throws StorageUnavailable,
 * and nobody heard of the step), the run ends `failed` with that error instead: it is never left running,
 * and whoever waits for it gets an answer.
 */
export function createRunExecutor(deps: {
  runner: Runner;
  lifecycle: RunLifecycle;
  now?: () => number;
  /** Asked when the run's signal aborts: a reason fails the run with it instead of cancelling it. */
  abortReason?: (runId: string) => RunErrorInfo | undefined;
}) {
  const { runner, lifecycle } = deps;
  const now = deps.now ?? Date.now;
  return fromPromise<void, QueuedRun>(async ({ input: queued, signal }) => {
    const members = [queued, ...(queued.merged ?? [])];
    const turn = members.length > 1 ? { leadRunId: queued.runId, runIds: members.map((m) => m.runId) } : undefined;
    const refs: RunRef[] = members.map((m) => ({ runId: m.runId, sessionKey: m.input.sessionKey, ...(turn ? { turn } : {}) }));
    // one event per message of the turn (a plain run has one)
    const publish = <K extends RunProgressName>(name: K, fields: (ref: RunRef) => BusEvents[K]) => {
      for (const ref of refs) lifecycle.progress(name, fields(ref));
    };
    // the ending step, once per message: a write failing part-way through a turn ends the rest differently
    let ended = 0;
    const end = <K extends 'completed' | 'failed' | 'cancelled'>(step: K, fields: (ref: RunRef) => Parameters<RunLifecycle[K]>[0]) => {
      for (; ended < refs.length; ended++) (lifecycle[step] as (e: Parameters<RunLifecycle[K]>[0]) => void)(fields(refs[ended]));
    };
    let checkpointedAt = now();
    let text = '';
    let complete = false; // a complete response arrived: later chunks are ignored
    let usage: Usage | undefined;
    let settled = false;
    const onAbort = () => {
      const reason = deps.abortReason?.(queued.runId);
      if (settled) return;
      settled = true;
      const at = now();
      if (reason) end('failed', (ref) => ({ ...ref, at, error: reason, reply: text }));
      else end('cancelled', (ref) => ({ ...ref, at, reply: text, started: true }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const startedAt = now();
      // group commit: the runner starts once `started` is durable and published (a cancel meanwhile settles the run)
      const starting = refs.map((ref, i) => lifecycle.startedGrouped({ ...ref, at: startedAt }, members[i].input.text));
      if (starting[0]) {
        await Promise.all(starting);
        if (settled) return;
      }
      for await (const event of runner.run(turn ? mergedInput(members) : queued.input, signal)) {
        if (settled) return;
        if (event.type === 'delta') {
          if (complete) continue;
          text += event.text;
          publish('run.delta', (ref) => ({ ...ref, delta: event.text, text }));
          if (now() - checkpointedAt >= CHECKPOINT_EVERY_MS) {
            checkpointedAt = now();
            for (const ref of refs) lifecycle.checkpoint(ref, text);
          }
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
      // group commit: the reply is durable (and published) once the transaction it shares with other runs commits
      for (; ended < refs.length; ended++) await lifecycle.completedGrouped({ ...refs[ended], at, reply, ...u });
    } catch (err) {
      // a storage failure is a write of run.started or run.completed that nobody heard of: the run still ends
      const unavailable = err instanceof StorageUnavailable;
      if (settled && !unavailable) return;
      settled = true;
      const type = unavailable ? err.type : err instanceof RunError && err.type ? err.type : 'internal_error';
      const message = err instanceof Error ? err.message : String(err);
      const at = now();
      end('failed', (ref) => ({ ...ref, at, error: { type, message }, reply: text }));
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
