import mittModule, { type Emitter, type EventType } from 'mitt';
import type { Usage } from './run.js';
import type { TranscriptMessage } from './transcript.js';

// The in-process event bus. Runs publish here; records, HTTP streams and (later) WS connections subscribe.

export type Surface = 'http' | 'ws' | 'channel';

export interface RunRef {
  runId: string;
  sessionKey: string;
  /** Set on the events of a merged (collect-mode) turn: each of its messages gets every event, and this says
   *  which messages share the one run (`leadRunId` is its first). */
  turn?: { leadRunId: string; runIds: string[] };
}

export interface RunErrorInfo {
  type: string;
  message: string;
}

export type BusEvents = {
  'run.queued': RunRef & { surface: Surface; at: number; text: string };
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
  /** A message was appended to a session's transcript. */
  'session.message': { sessionKey: string; message: TranscriptMessage };
};

export type Bus = Emitter<BusEvents>;

// mitt's types are CommonJS-shaped while Node loads its ESM build: the default export is the factory.
const mitt = mittModule as unknown as <E extends Record<EventType, unknown>>() => Emitter<E>;

export function createBus(): Bus {
  return mitt<BusEvents>();
}
