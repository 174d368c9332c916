import type { Bus } from '../../core/bus.js';
import type { Connection, ConnectionHub } from '../../actors/connection-hub.js';
import type { SessionStatus, TranscriptStore, TranscriptMessage } from '../../core/transcript.js';
import { ChatDeltaCoalescer, systemClock, type Clock } from './chat-delta-coalescer.js';
import { encodeEvent } from '../../../protocol/encode.js';
import { sessionRow } from './session-row.js';
import { chatErrorKind } from './chat-error-kind.js';

// Maps the bus's run.* events to the `agent` and `chat` events of openclaw-protocol.md §12.2/§13.2 for every
// run of every surface, plus `sessions.changed` and `session.message` for subscribers. Each event is
// encoded once and fanned out by the hub. In cluster mode it hears every instance's runs (subscribeCluster):
// an operator sees a run wherever it was accepted, with this connection's own gap-free frame seq.
//
// A reply of N characters costs a reader O(N) bytes in `agent` events, not O(N²): an `assistant` event's
// `data` is `{delta, itemId}` — the increment only. OpenClaw also sends `text`, the text so far [obs], but
// the published `AgentEvent.data` is an open map and nothing requires it; a reader rebuilds the text by
// concatenating the deltas of one `itemId`. When the text so far restarts (a complete message replaces
// the chunks, or a preamble is dropped at a tool call) a new item begins (`<runId>:assistant:<n>`).
// `chat` deltas keep their cumulative `message` (§13.2) and are coalesced to one per 150 ms per run
// (ChatDeltaCoalescer); each carries the agent seq of the last assistant event it covers, and a held one
// is flushed before any other event of its run, so the last delta before `final` has the whole text.

interface RunView {
  seq: number;
  /** Length of the text so far (to tell an appended chunk from a restart). */
  textLength: number;
  /** The current assistant item (1-based); 0 before the first assistant event. */
  item: number;
  startedAt: number;
  /** Set with the first assistant event: a held chat delta goes out later (on a timer) and needs it. */
  sessionKey?: string;
}

const AGENT_ID = 'main';

/** Bridges the bus's run events to WS events; `clock` drives the chat-delta throttle (tests simulate it). */
export function bridgeRunEvents(
  bus: Bus, hub: ConnectionHub, store: TranscriptStore, model: { provider: string; model: string }, clock: Clock = systemClock,
): void {
  const live = new Map<string, RunView>();
  const view = (runId: string) => {
    let v = live.get(runId);
    if (!v) live.set(runId, (v = { seq: 0, textLength: 0, item: 0, startedAt: Date.now() }));
    return v;
  };
  const readers = (sessionKey: string) => (c: Connection) =>
    c.reader && (!c.caps.has('session-scoped-events') || c.messageKeys.has(sessionKey));

  const agent = (runId: string, sessionKey: string, stream: string, data: Record<string, unknown>) => {
    // a held chat delta goes out before any other event of its run (it never crosses one)
    if (stream !== 'assistant') chatDeltas.flush(runId);
    const v = view(runId);
    const seq = ++v.seq;
    hub.broadcast(() => encodeEvent('agent', { runId, seq, stream, ts: Date.now(), data, sessionKey, agentId: AGENT_ID }), readers(sessionKey));
    return seq;
  };
  const chat = (runId: string, sessionKey: string, seq: number, state: string, fields: Record<string, unknown>, lossy = false) => {
    hub.broadcast(() => encodeEvent('chat', { runId, sessionKey, agentId: AGENT_ID, seq, state, ...fields }, { lossy }), readers(sessionKey));
  };
  // the row's status comes from the event itself, not from whichever subscriber updated the store first
  const changed = (sessionKey: string, runId: string, phase: string, status: SessionStatus) => {
    hub.broadcast(() => {
      const row = store.session(sessionKey);
      const ts = Date.now();
      const session = sessionRow({ key: sessionKey, createdAt: ts, messageCount: 0, ...row, status, lastRunId: runId, updatedAt: ts });
      return encodeEvent('sessions.changed', { sessionKey, agentId: AGENT_ID, phase, runId, ts, session }, { lossy: true });
    }, (c) => c.reader && c.sessionsSubscribed);
  };
  const assistantMessage = (text: string) => ({ role: 'assistant', content: [{ type: 'text', text }], timestamp: Date.now() });
  const chatDeltas = new ChatDeltaCoalescer((runId, d) => {
    const sessionKey = live.get(runId)?.sessionKey;
    if (sessionKey === undefined) return;
    chat(runId, sessionKey, d.seq, 'delta', { deltaText: d.deltaText, message: assistantMessage(d.text), ...(d.replace ? { replace: true } : {}) }, true);
  }, clock);
  const ended = (runId: string) => {
    chatDeltas.forget(runId);
    live.delete(runId);
  };

  bus.subscribeCluster('run.started', (e) => {
    const v = view(e.runId);
    v.startedAt = e.at;
    agent(e.runId, e.sessionKey, 'lifecycle', { phase: 'start', startedAt: e.at });
    agent(e.runId, e.sessionKey, 'lifecycle', { phase: 'model', provider: model.provider, model: model.model });
    changed(e.sessionKey, e.runId, 'start', 'running');
  });
  // `restart`: the text so far is `text` alone, not the earlier text plus `deltaText`
  const delta = (runId: string, sessionKey: string, deltaText: string, text: string, restart: boolean) => {
    const v = view(runId);
    if (v.item === 0 || (restart && v.textLength > 0)) v.item++;
    v.textLength = text.length;
    v.sessionKey = sessionKey;
    const seq = agent(runId, sessionKey, 'assistant', { delta: restart ? text : deltaText, itemId: `${runId}:assistant:${v.item}` });
    chatDeltas.push(runId, { seq, deltaText, text, replace: restart });
  };
  bus.subscribeCluster('run.delta', (e) => delta(e.runId, e.sessionKey, e.delta, e.text, e.text.length !== view(e.runId).textLength + e.delta.length));
  bus.subscribeCluster('run.message', (e) => delta(e.runId, e.sessionKey, e.text, e.text, true));
  // tool progress only reaches sockets that asked for it (§15.2)
  bus.subscribeCluster('run.tool', (e) => {
    chatDeltas.flush(e.runId);
    const v = view(e.runId);
    const seq = ++v.seq;
    const data = { phase: e.phase, name: e.name, toolCallId: e.callId, ...(e.phase === 'result' ? { isError: e.isError ?? false } : {}), ...(e.detail ? { meta: e.detail } : {}) };
    hub.broadcast(() => encodeEvent('agent', { runId: e.runId, seq, stream: 'tool', ts: Date.now(), data, sessionKey: e.sessionKey, agentId: AGENT_ID }),
      (c) => readers(e.sessionKey)(c) && c.caps.has('tool-events'));
  });
  bus.subscribeCluster('run.completed', (e) => {
    const v = view(e.runId);
    if (e.usage) agent(e.runId, e.sessionKey, 'usage', { outputTokens: e.usage.completion_tokens });
    agent(e.runId, e.sessionKey, 'lifecycle', { phase: 'finishing', stopReason: 'stop', aborted: false, livenessState: 'working', endedAt: e.at });
    // the model slot is released before `end` (observed order, §12.2)
    agent(e.runId, e.sessionKey, 'lifecycle', { phase: 'model', provider: null, model: null });
    const seq = agent(e.runId, e.sessionKey, 'lifecycle', {
      phase: 'end', startedAt: v.startedAt, endedAt: e.at, aborted: false, stopReason: 'stop', livenessState: 'working',
      executionSettled: true, terminalReply: { disposition: 'visible', text: e.reply },
    });
    chat(e.runId, e.sessionKey, seq, 'final', { message: assistantMessage(e.reply), stopReason: 'stop' });
    changed(e.sessionKey, e.runId, 'end', 'done');
    ended(e.runId);
  });
  bus.subscribeCluster('run.failed', (e) => {
    const seq = agent(e.runId, e.sessionKey, 'lifecycle', { phase: 'error', error: e.error.message, aborted: false, executionSettled: true });
    chat(e.runId, e.sessionKey, seq, 'error', { errorMessage: e.error.message, errorKind: chatErrorKind(e.error.type) });
    changed(e.sessionKey, e.runId, 'error', 'failed');
    ended(e.runId);
  });
  bus.subscribeCluster('run.cancelled', (e) => {
    chatDeltas.flush(e.runId);
    let seq = view(e.runId).seq;
    if (e.started) {
      agent(e.runId, e.sessionKey, 'lifecycle', { phase: 'end', status: 'cancelled', aborted: true, stopReason: 'rpc', endedAt: e.at });
      seq = agent(e.runId, e.sessionKey, 'lifecycle', { phase: 'error', error: 'This operation was aborted', aborted: true, stopReason: 'aborted', executionSettled: true });
    }
    chat(e.runId, e.sessionKey, seq, 'aborted', { stopReason: 'rpc', ...(e.reply ? { message: assistantMessage(e.reply) } : {}) });
    changed(e.sessionKey, e.runId, 'end', 'killed');
    ended(e.runId);
  });
  bus.subscribeCluster('session.message', (e) => {
    hub.broadcast(() => {
      const row = store.session(e.sessionKey);
      return encodeEvent('session.message', {
        sessionKey: e.sessionKey, agentId: AGENT_ID, message: transcriptEntry(e.message),
        messageId: e.message.id, messageSeq: e.message.seq, ...(row ? { session: sessionRow(row) } : {}),
      });
    }, (c) => c.reader && c.messageKeys.has(e.sessionKey));
  });
}

/** A transcript message as `chat.history` and `session.message` carry it (§13.3). */
export function transcriptEntry(m: TranscriptMessage): Record<string, unknown> {
  return {
    role: m.role, content: [{ type: 'text', text: m.text }], timestamp: m.timestamp,
    __openclaw: { id: m.id, seq: m.seq, idempotencyKey: m.idempotencyKey },
  };
}
