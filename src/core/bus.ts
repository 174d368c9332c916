import type { RunOrigin, Surface, Usage } from './run.js';
import type { TranscriptMessage } from './transcript.js';

// The event bus: what every layer may know of it. Runs publish their lifecycle here after the run ledger
// has recorded it; run records, HTTP streams, WS connections and channel outboxes subscribe. One process
// uses the in-process implementation (local-bus.ts); a cluster may put another one behind this interface.

export type { Surface };

/** Which run an event is about (and, for a merged turn, which messages share it). */
export interface RunRef {
  runId: string;
  sessionKey: string;
  /** Set on the events of a merged (collect-mode) turn: each of its messages gets every event, and this says
   *  which messages share the one run (`leadRunId` is its first). */
  turn?: { leadRunId: string; runIds: string[] };
}

/** A run's error: a wire error type (`timeout`, `insufficient_storage`, …) and a message for people. */
export interface RunErrorInfo {
  type: string;
  message: string;
}

/** The events of the bus, by name: a run's lifecycle (`run.*`) and transcript appends. */
export type BusEvents = {
  'run.queued': RunRef & { surface: Surface; origin: RunOrigin; at: number; text: string };
  'run.started': RunRef & { at: number };
  'run.delta': RunRef & { delta: string; text: string };
  /** A complete (non-chunk) response replaced the text so far. */
  'run.message': RunRef & { text: string };
  'run.usage': RunRef & { usage: Usage };
  /** A tool call of the run began or settled (the agent loop's `tool` RunEvent). */
  'run.tool': RunRef & { phase: 'start' | 'result'; name: string; callId: string; detail?: string; isError?: boolean };
  'run.completed': RunRef & { at: number; reply: string; usage?: Usage };
  'run.failed': RunRef & { at: number; error: RunErrorInfo; reply: string };
  'run.cancelled': RunRef & { at: number; reply: string; started: boolean };
  /** A channel account changed lifecycle state (src/machines/channel.ts). */
  'channel.state': { channel: string; accountId: string; state: string; lastError?: string };
  /** A message was appended to a session's transcript. */
  'session.message': { sessionKey: string; message: TranscriptMessage };
};

/** Every event the bus carries. */
export type BusEventName = keyof BusEvents;

/** Every bus event kind, once (the compiler checks that none is missing): for subscribers to all of them. */
export const BUS_EVENT_KINDS = [
  'run.queued', 'run.started', 'run.delta', 'run.message', 'run.usage', 'run.tool',
  'run.completed', 'run.failed', 'run.cancelled', 'session.message', 'channel.state',
] as const satisfies readonly BusEventName[];
type MissingKind = Exclude<BusEventName, (typeof BUS_EVENT_KINDS)[number]>;
const allKinds: [MissingKind] extends [never] ? true : MissingKind = true;
void allKinds;

/** A subscriber of one event kind. */
export type BusHandler<K extends BusEventName> = (event: BusEvents[K]) => void;

/**
 * Typed publish/subscribe. `publish` delivers to every subscriber of that kind before it returns, in
 * subscription order; a subscriber must not throw.
 */
export interface Bus {
  publish<K extends BusEventName>(type: K, event: BusEvents[K]): void;
  /** Returns the function that ends this subscription. */
  subscribe<K extends BusEventName>(type: K, handler: BusHandler<K>): () => void;
}
