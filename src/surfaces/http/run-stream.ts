import type { BusEvents } from '../../core/bus.js';
import type { RunEventName, RunRecord } from '../../actors/run-registry.js';
import type { EventStreamSink } from '../../transport/http-types.js';

// Maps one run's bus events to the SSE events of http-gateway.md §8. Events that arrive before the
// transport hands over the sink (a run may start inside submit()) are buffered, then flushed in order.

/** One SSE event whose `data` is `{ type, ...fields }`. */
export function sseEvent(type: string, fields: Record<string, unknown> = {}): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`;
}

/** The SSE stream of one run: its bus events as http-gateway.md §8 events, with keepalives. */
export class RunEventStream {
  private sink?: EventStreamSink;
  private buffered: string[] = [];
  private ended = false;
  private deltaSent = false;
  private keepalive?: NodeJS.Timeout;
  /** Chunks written to the sink (the buffered ones included). */
  private written = 0;
  private closed = false;
  private ids: { session_id: string; request_id: string } = { session_id: '', request_id: '' };

  constructor(private readonly keepaliveMs: number) {}

  /** The run listener; pass it to submit() so no event is missed. */
  readonly listener = <K extends RunEventName>(name: K, e: BusEvents[K]): void => {
    const ids = (this.ids = { session_id: e.sessionKey, request_id: e.runId });
    switch (name) {
      case 'run.started': {
        const { at } = e as BusEvents['run.started'];
        const elapsed = Date.now() - at;
        this.write(sseEvent('run.started', ids));
        this.write(sseEvent('run.progress', {
          ...ids, stage: 'preparing', summary: 'Preparing request', ...(elapsed > 0 ? { elapsed_ms: elapsed } : {}),
        }));
        break;
      }
      case 'run.delta':
        this.deltaSent = true;
        this.write(sseEvent('message.delta', { ...ids, delta: (e as BusEvents['run.delta']).delta }));
        break;
      case 'run.message':
        // a complete response is sent as one delta only if no delta was sent before
        if (!this.deltaSent) this.write(sseEvent('message.delta', { ...ids, delta: (e as BusEvents['run.message']).text }));
        this.deltaSent = true;
        break;
      case 'run.tool': {
        // not suppressed after text deltas (§8.1): a tool call makes the text before it a preamble, not the answer
        const t = e as BusEvents['run.tool'];
        const tool = { tool_name: t.name, tool_call_id: t.callId };
        if (t.phase === 'start') {
          this.write(sseEvent('run.progress', { ...ids, stage: 'running_tool', summary: 'Running local tool', ...tool, tool_status: 'running' }));
        } else {
          this.write(sseEvent('run.progress', { ...ids, stage: 'summarizing', summary: 'Preparing final answer', ...tool, tool_status: 'completed' }));
        }
        break;
      }
      case 'run.completed': {
        const { reply, usage } = e as BusEvents['run.completed'];
        this.finishWithReply(reply, usage);
        break;
      }
      case 'run.failed': {
        const { error } = e as BusEvents['run.failed'];
        this.write(sseEvent('run.error', { ...ids, error: { type: error.type || 'internal_error', message: error.message } }));
        this.end();
        break;
      }
      case 'run.cancelled':
        this.write(sseEvent('run.canceled', ids));
        this.end();
        break;
    }
  };

  /** A completed run answered again from its record (idempotent retry): nothing runs. */
  replay(record: RunRecord): void {
    this.ids = { session_id: record.sessionKey, request_id: record.runId };
    this.write(sseEvent('run.started', this.ids));
    this.finishWithReply(record.reply, record.usage);
  }

  /** Ignored by mention gating: no ids. */
  ignored(): void {
    this.write(sseEvent('run.ignored', { ignored: true }));
    this.write(sseEvent('run.completed'));
    this.end();
  }

  attach(sink: EventStreamSink): void {
    this.sink = sink;
    const nothingYet = this.buffered.length === 0;
    for (const text of this.buffered) sink.write(text);
    this.written += this.buffered.length;
    this.buffered = [];
    if (this.ended) {
      sink.end();
      return;
    }
    // uWS completes the header block only with the first non-empty chunk: a stream with nothing to say yet
    // (its run is queued) sends a keepalive, so the client has its 200 before the lane is reached (§6). Not
    // before the next turn: a run that starts at once is told `run.started` by the group commit flush of this
    // turn (scheduled before this one), and that is then the first chunk, as when it was written synchronously.
    if (nothingYet) {
      setImmediate(() => {
        if (!this.ended && !this.closed && this.written === 0) sink.write(': keepalive\n\n');
      });
    }
    // a keepalive exactly keepaliveMs after the last write (every write re-arms the timer, and so does the
    // keepalive itself), so an idle stream hears from us at least every keepaliveMs (D6)
    this.keepalive = setTimeout(() => this.write(': keepalive\n\n'), this.keepaliveMs);
    sink.onClose(() => {
      this.closed = true;
      this.stopKeepalive();
    });
  }

  private finishWithReply(reply: string, usage: unknown): void {
    const u = usage ? { usage } : {};
    this.write(sseEvent('message.completed', { ...this.ids, reply: reply.trim(), ...u }));
    this.write(sseEvent('run.completed', { ...this.ids, ...u }));
    this.end();
  }

  private write(text: string): void {
    if (this.ended) return;
    this.keepalive?.refresh();
    if (this.sink) {
      this.sink.write(text);
      this.written++;
    } else this.buffered.push(text);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.stopKeepalive();
    this.sink?.end();
  }

  private stopKeepalive(): void {
    if (this.keepalive) clearTimeout(this.keepalive);
    this.keepalive = undefined;
  }
}
