import type { Bus } from '../core/bus.js';
import type { TranscriptStore } from '../core/transcript.js';
import type { RunRegistry } from './run-registry.js';

// Writes every run of every surface into its session's transcript: the user message when the run takes
// it, the reply when it completes. Each append is announced on the bus as `session.message`. The writes
// follow `writers` (the bus itself, or the writers' bus of commitPerRunEvent, so they commit before anyone
// hears of the event).

export function recordTranscripts(bus: Bus, runs: RunRegistry, store: TranscriptStore, writers: Bus = bus): void {
  writers.on('run.queued', (e) => store.touch(e.sessionKey, { lastRunId: e.runId, status: 'queued' }));
  writers.on('run.started', (e) => {
    store.touch(e.sessionKey, { lastRunId: e.runId, status: 'running' });
    // a recovered run starts again: its user message is already there, announce nothing new
    if (store.byIdempotencyKey(e.sessionKey, `${e.runId}:user`)) return;
    const text = runs.get(e.runId)?.text ?? '';
    const message = store.append(e.sessionKey, { role: 'user', text, timestamp: e.at, runId: e.runId, idempotencyKey: `${e.runId}:user` });
    bus.emit('session.message', { sessionKey: e.sessionKey, message });
  });
  writers.on('run.completed', (e) => {
    store.touch(e.sessionKey, { status: 'done' });
    if (e.turn && e.turn.leadRunId !== e.runId) return; // a merged turn's one reply is recorded once
    if (store.byIdempotencyKey(e.sessionKey, e.runId)) return; // a run's reply is recorded once, ever
    const message = store.append(e.sessionKey, { role: 'assistant', text: e.reply, timestamp: e.at, runId: e.runId, idempotencyKey: e.runId });
    bus.emit('session.message', { sessionKey: e.sessionKey, message });
  });
  writers.on('run.failed', (e) => store.touch(e.sessionKey, { status: 'failed' }));
  writers.on('run.cancelled', (e) => store.touch(e.sessionKey, { status: 'killed' }));
}
