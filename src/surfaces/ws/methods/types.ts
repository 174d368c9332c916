import type { Connection, ConnectionHub } from '../../../actors/connection-hub.js';
import type { NodeRegistry } from '../../../actors/node-registry.js';
import type { RunRegistry } from '../../../actors/run-registry.js';
import type { SessionRegistry } from '../../../actors/session-registry.js';
import type { Inbound } from '../../../inbound/submit.js';
import type { ErrorShape } from '../../../policy/authorize.js';
import type { Bus } from '../../../core/bus.js';
import type { TranscriptStore } from '../../../core/transcript.js';
import type { DeviceStore } from '../../../store/devices.js';
import type { Dedupe } from '../dedupe.js';
import type { Health } from '../health.js';
import type { Presence } from '../presence.js';

// What a WS method handler gets: its params (already schema-checked), the call (who, and how to answer)
// and the gateway's services. A handler returns the `res` payload, throws a MethodError, or answers
// itself through `call.respond` and returns RESPONDED (agent answers twice).

export interface WsServices {
  bus: Bus;
  sessions: SessionRegistry;
  /** The one way in for messages. */
  inbound: Inbound;
  runs: RunRegistry;
  transcripts: TranscriptStore;
  presence: Presence;
  health: Health;
  dedupe: Dedupe;
  hub: ConnectionHub;
  devices: DeviceStore;
  /** Broadcast `device.pair.resolved` to pairing operators. */
  pairingResolved(r: { requestId: string; deviceId: string }, decision: 'approved' | 'rejected'): void;
  /** Connected nodes, node invocations and node approval. */
  nodes: NodeRegistry;
  info: { version: string; startedAt: number; stateDir: string; provider: string; model: string };
}

export interface Call {
  conn: Connection;
  id: string;
  respond(ok: boolean, payload?: unknown, error?: ErrorShape): void;
}

export const RESPONDED = Symbol('responded');

export type Handler = (params: any, call: Call, ctx: WsServices) => unknown;

export class MethodError extends Error {
  constructor(readonly shape: ErrorShape) {
    super(shape.message);
  }
}

/** A write to the state dir failed for lack of disk: UNAVAILABLE, retryable (the message names the dir). */
export const storageUnavailable = (message: string): ErrorShape =>
  ({ code: 'UNAVAILABLE', message, retryable: true, details: { reason: 'insufficient_storage' } });

export const invalidRequest = (message: string, details?: unknown) =>
  new MethodError({ code: 'INVALID_REQUEST', message, ...(details === undefined ? {} : { details }) });

export const DEFAULT_SESSION_KEY = 'agent:main:main';
export const AGENT_ID = 'main';
