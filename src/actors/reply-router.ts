import type { Bus, BusEvents } from '../core/bus.js';
import type { Logger } from '../core/log.js';
import type { RunOrigin } from '../core/run.js';
import type { RunRegistry } from './run-registry.js';

// Sends each finished run's answer to where its message came from. HTTP callers and WS connections follow
// their runs themselves (the response, SSE, `chat`/`agent` events); a surface that must be *sent* a reply —
// a channel's chat — registers a deliverer for its surface, and the router hands it the run's origin (read
// from the run record, which recovery restores from the journal, so a reply after a restart still arrives).

/** A channel chat's reply address. */
export type ChannelOrigin = Extract<RunOrigin, { surface: 'channel' }>;

/** The answer of a finished run, for its origin. */
export type RunAnswer =
  | { kind: 'completed'; runId: string; sessionKey: string; text: string; at: number }
  | { kind: 'failed'; runId: string; sessionKey: string; error: { type: string; message: string }; at: number };

/** Delivers answers to one surface's origins (e.g. a channel's outbox). Must not throw. */
export type Deliverer = (origin: ChannelOrigin, answer: RunAnswer) => void;

/** See the file comment. */
export class ReplyRouter {
  private readonly deliverers = new Map<string, Deliverer>();

  constructor(private readonly deps: { bus: Bus; runs: RunRegistry; log?: Logger }) {
    deps.bus.subscribe('run.completed', (e) => this.route(e, { kind: 'completed', runId: e.runId, sessionKey: e.sessionKey, text: e.reply, at: e.at }));
    deps.bus.subscribe('run.failed', (e) => this.route(e, { kind: 'failed', runId: e.runId, sessionKey: e.sessionKey, error: e.error, at: e.at }));
  }

  /** Answers for origins of this channel go to `deliver` from now on; returns the function that stops it. */
  register(channel: string, deliver: Deliverer): () => void {
    this.deliverers.set(channel, deliver);
    return () => {
      if (this.deliverers.get(channel) === deliver) this.deliverers.delete(channel);
    };
  }

  private route(e: BusEvents['run.completed'] | BusEvents['run.failed'], answer: RunAnswer): void {
    const origin = this.deps.runs.get(e.runId)?.origin;
    if (origin?.surface !== 'channel') return;
    // a merged turn has one reply: its lead message's origin gets it once, others only if they came from elsewhere
    if (e.turn && e.turn.leadRunId !== e.runId) {
      const lead = this.deps.runs.get(e.turn.leadRunId)?.origin;
      if (lead && sameChat(lead, origin)) return;
    }
    const deliver = this.deliverers.get(origin.channel);
    if (!deliver) {
      this.deps.log?.warn({ runId: e.runId, channel: origin.channel }, 'no deliverer for the reply of a channel run');
      return;
    }
    deliver(origin, answer);
  }
}

function sameChat(a: RunOrigin, b: ChannelOrigin): boolean {
  return a.surface === 'channel' && a.channel === b.channel && a.accountId === b.accountId && a.chatId === b.chatId && a.threadId === b.threadId;
}
