import type { RunOrigin, Surface, Usage } from './run.js';
import type { TranscriptMessage } from './transcript.js';

// The event bus: what every layer may know of it. Runs publish their lifecycle here after the run ledger
// has recorded it; run records, HTTP streams, WS connections and channel outboxes subscribe. One process
// uses the in-process implementation (local-bus.ts); cluster mode puts src/cluster/nats-bus.ts behind it.
//
// Two ways to listen, so that "acts once per cluster" is the default: `subscribe` hears the events of this
// process only (the run registry, metrics, the reply router, channel typing: each instance acts on its own
// runs, and nothing is sent to a channel twice); `subscribeCluster` also hears other instances' events (the
// WS edge, so an operator on any instance sees every run). On one process both hear the same events.

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

/** A subscriber of one event kind (events of this process). */
export type BusHandler<K extends BusEventName> = (event: BusEvents[K]) => void;

/** A subscriber of one event kind on every instance; `remote` is true for an event another instance published. */
export type ClusterBusHandler<K extends BusEventName> = (event: BusEvents[K], remote: boolean) => void;

/**
 * Typed publish/subscribe. `publish` delivers to every subscriber of that kind in this process before it
 * returns, in subscription order; a subscriber must not throw.
 */
export interface Bus {
  publish<K extends BusEventName>(type: K, event: BusEvents[K]): void;
  /** Events published in this process. Returns the function that ends this subscription. */
  subscribe<K extends BusEventName>(type: K, handler: BusHandler<K>): () => void;
  /** Events published by any instance of the cluster: this process's synchronously (`remote` false), other
   *  instances' as they arrive (`remote` true). Only for what every instance must show, never for what must
   *  happen once (a send to a channel). Returns the function that ends this subscription. */
  subscribeCluster<K extends BusEventName>(type: K, handler: ClusterBusHandler<K>): () => void;
}
