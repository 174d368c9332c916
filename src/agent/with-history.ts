import { isResetMarker, type TranscriptMessage, type TranscriptStore } from '../core/transcript.js';
import type { Runner, RunInput } from '../core/run.js';

// Gives the model the conversation so far: before each run, the session's transcript (newest turns first,
// up to `budgetChars` of text) is put into `input.history`, oldest first. The run's own user message is
// already in the transcript when the run starts (recorded on run.started), so it is left out: the runner
// sends it as the current turn. A context reset (a marker in the transcript) cuts the history: only what
// comes after the newest marker is given, and a reply that lands after the marker for a run whose
// message came before it (the run in flight at the reset) is left out with it.

/** One earlier turn of the conversation, as given to the runner. */
export type HistoryMessage = NonNullable<RunInput['history']>[number];

/** Read at most this many messages per run (100 turns), whatever the budget: bounds the read per run. */
const MAX_MESSAGES = 200;

/** Wraps a runner so each run gets the session's history; a budget of 0 or less returns the runner unchanged. */
export function withHistory(runner: Runner, store: TranscriptStore, budgetChars: number): Runner {
  if (budgetChars <= 0) return runner;
  return {
    run(input, signal) {
      const history = historyFor(store, input, budgetChars);
      return runner.run(history.length > 0 ? { ...input, history } : input, signal);
    },
  };
}

/** Reads a session's newest `limit` messages, oldest first, from a store that answers later (cluster mode's stream). */
export type HistoryReader = (sessionKey: string, limit: number) => Promise<TranscriptMessage[]>;

/**
 * withHistory() over a history read asynchronously (cluster mode: the session's transcript in the cluster,
 * whichever instance recorded it). A read that fails fails the run: the model would not see the conversation.
 */
export function withHistoryFrom(runner: Runner, read: HistoryReader, budgetChars: number): Runner {
  if (budgetChars <= 0) return runner;
  return {
    async *run(input, signal) {
      const history = historyOf(await read(input.sessionKey, Math.min(MAX_MESSAGES, budgetChars)), input.runId, budgetChars);
      yield* runner.run(history.length > 0 ? { ...input, history } : input, signal);
    },
  };
}

/** The session's newest whole messages within `budgetChars`, oldest first, leaving out the run's own message. */
export function historyFor(store: TranscriptStore, input: Pick<RunInput, 'runId' | 'sessionKey'>, budgetChars: number): HistoryMessage[] {
  const { messages } = store.messages(input.sessionKey, { limit: Math.min(MAX_MESSAGES, budgetChars) });
  return historyOf(messages, input.runId, budgetChars);
}

/** historyFor() on messages already read (the newest, oldest first). */
function historyOf(messages: TranscriptMessage[], runId: string, budgetChars: number): HistoryMessage[] {
  const current = sinceReset(messages);
  const out: HistoryMessage[] = [];
  let used = 0;
  for (let i = current.length - 1; i >= 0; i--) {
    const m = current[i];
    if (m.runId === runId || m.role === 'system') continue;
    if (used + m.text.length > budgetChars) break; // keep whole newest turns; never cut a message in half
    used += m.text.length;
    out.push({ role: m.role, content: m.text });
  }
  return out.reverse();
}

/** The messages after the newest reset marker, without replies of runs whose user message precedes it. */
function sinceReset(messages: TranscriptMessage[]): TranscriptMessage[] {
  let marker = -1;
  for (let i = messages.length - 1; i >= 0 && marker < 0; i--) if (isResetMarker(messages[i])) marker = i;
  if (marker < 0) return messages;
  const after = messages.slice(marker + 1);
  const asked = new Set(after.filter((m) => m.role === 'user').map((m) => m.runId));
  return after.filter((m) => m.role !== 'assistant' || asked.has(m.runId));
}
