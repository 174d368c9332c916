import type { Connection, ConnectionHub } from '../../../actors/connection-hub.js';
import type { NodeRegistry } from '../../../actors/node-registry.js';
import type { ClusterNode } from '../../../actors/cluster-node.js';
import type { RunRegistry } from '../../../actors/run-registry.js';
import type { SessionRegistry } from '../../../actors/session-registry.js';
import type { Inbound } from '../../../inbound/submit.js';
import type { ErrorShape } from '../../../policy/authorize.js';
import type { Bus } from '../../../core/bus.js';
import type { ClusterStatus } from '../../../core/cluster-status.js';
import type { ChannelsControl } from '../../../core/channel.js';
import type { TranscriptStore } from '../../../core/transcript.js';
import type { DeviceStore } from '../../../store/devices.js';
import type { Dedupe } from '../dedupe.js';
import type { Health } from '../health.js';
import type { Presence } from '../presence.js';
import type { InspectTickets } from '../inspect-tickets.js';
import type { MethodParams, MethodResults } from '../../../../protocol/index.js';

// What a WS method handler gets: its params (already schema-checked), the call (who, and how to answer)
// and the gateway's services. A handler returns the `res` payload, throws a MethodError, or answers
// itself through `call.respond` and returns RESPONDED (agent answers twice). Params and result types come
// from the protocol/ schemas, so a handler cannot read a field its method's schema does not have.

/** The gateway services every WS method handler may use. */
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
  /** The channel layer (Telegram, WhatsApp, Signal); absent when the gateway runs none. */
  channels?: ChannelsControl;
  /** The inspector's stream tickets; absent without --inspect. */
  inspectTickets?: InspectTickets;
  /** Cluster mode: runs of other instances, read, followed and cancelled through the cluster (agent.wait, chat.abort);
   *  sessions' history and resets through the cluster (chat.history, sessions.reset). */
  clusterRuns?: Pick<ClusterNode, 'record' | 'cancel' | 'abortRunning' | 'follower' | 'members' | 'history' | 'resetSession'>;
  /** `cluster`: this instance's id and NATS state in cluster mode. */
  info: { version: string; startedAt: number; stateDir: string; provider: string; model: string; cluster?: ClusterStatus };
}

/** One request being served: who sent it, its id and method, and how to answer it. */
export interface Call<M extends string = string> {
  conn: Connection;
  /** The request frame's id. */
  id: string;
  /** The method requested; ties a handler to the one method it serves (see {@link Handler}). */
  method: M;
  respond(ok: boolean, payload?: unknown, error?: ErrorShape): void;
}

/** Returned by a handler that answered through `call.respond` itself: dispatch sends nothing more. */
export const RESPONDED = Symbol('responded');

/** A method Clawgate serves over WS: every protocol method but `connect`, which only opens a connection. */
export type MethodName = Exclude<keyof MethodParams, 'connect'>;

/** The params of method `M` as its protocol/ schema describes them (`{}` when the client sent none). */
export type ParamsOf<M extends MethodName> = MethodParams[M];

/** The `res` payload of method `M`: its protocol/ result schema's type, `unknown` where there is none. */
export type ResultOf<M extends MethodName> = M extends keyof MethodResults ? MethodResults[M] : unknown;

/**
 * The handler of method `M`. Dispatch calls it only after the params passed `M`'s schema; it returns the
 * payload (or a promise of it), throws a MethodError, or answers itself and returns RESPONDED.
 */
export type Handler<M extends MethodName> = (
  params: ParamsOf<M>, call: Call<M>, ctx: WsServices,
) => ResultOf<M> | typeof RESPONDED | Promise<ResultOf<M> | typeof RESPONDED>;

/** A handler's failure answer: the error shape goes back in the `res` frame as is. */
export class MethodError extends Error {
  constructor(readonly shape: ErrorShape) {
    super(shape.message);
  }
}

/** A write to the state dir failed for lack of disk: UNAVAILABLE, retryable (the message names the dir). */
export const storageUnavailable = (message: string): ErrorShape =>
  ({ code: 'UNAVAILABLE', message, retryable: true, details: { reason: 'insufficient_storage' } });

/** An INVALID_REQUEST MethodError, with optional `details`. */
export const invalidRequest = (message: string, details?: unknown) =>
  new MethodError({ code: 'INVALID_REQUEST', message, ...(details === undefined ? {} : { details }) });

/** The session `agent` runs in when the request names none. */
export const DEFAULT_SESSION_KEY = 'agent:main:main';
/** The one agent Clawgate runs. */
export const AGENT_ID = 'main';
