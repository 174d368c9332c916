import { randomUUID } from 'node:crypto';
import type { ClusterNode } from '../actors/cluster-node.js';
import type { RunListener, RunRecord } from '../actors/run-registry.js';
import type { SessionRegistry, SubmitRequest, SubmitResult } from '../actors/session-registry.js';
import { badRequest, ShuttingDown } from '../core/errors.js';
import type { QueueMode } from '../core/queue-mode.js';
import type { InputPart, RunInput, RunOrigin, Surface } from '../core/run.js';

// The one way in for every surface. HTTP, WS, WebChat and the channels turn what they received into an
// InboundMessage — surface-neutral: no request objects, no sockets — and hand it here. Inbound validates it,
// then the session registry checks the id (idempotency: replay a completed run, refuse a live one), journals
// it with its origin (the reply address) and queues it in its session, which alone decides when it runs.
// In cluster mode (useCluster) the grouped accept journals into the cluster's inbox instead, and the session's
// owner — this instance or another — runs it; the caller waits for it through `settled`.

/** Most characters a session key may have. */
export const MAX_SESSION_KEY_LENGTH = 512;

/** A message from any surface, ready for a session. */
export interface InboundMessage {
  /** Where it came in; must match `origin.surface`. */
  surface: Surface;
  sessionKey: string;
  /** The user's text, trimmed (may be empty when `parts` carry the message). */
  text: string;
  parts?: InputPart[];
  /** Who sent it (user id, phone number, channel user id…; empty when the surface does not know). */
  sender: { id: string; name?: string };
  /** Becomes the run id (HTTP request_id, WS idempotencyKey, a channel's message id); generated when absent. */
  idempotencyKey?: string;
  /** How it queues behind a running run; the gateway's default when absent. */
  queueMode?: QueueMode;
  /** Where the reply goes; journaled with the run. */
  origin: RunOrigin;
  /** Per-message model options. */
  model?: string;
  systemPrompt?: string;
  lateContext?: string;
  /** Sees every event of the run from its acceptance on (a surface streaming the reply). */
  listener?: RunListener;
  /** A channel message in cluster mode: its id is run once at most, and nobody waits here for its end (SubmitRequest). */
  platformDelivery?: boolean;
}

/**
 * The result of an accepted (or replayed, refused) message, with the run id it was given; in cluster mode an
 * accepted or replayed one also has `settled`, its record once it has ended wherever it ran (this instance's
 * run registry may never know it).
 */
export type InboundResult = SubmitResult & { runId: string; settled?: Promise<RunRecord> };

/** Validation and hand-off of inbound messages; see the file comment. */
export class Inbound {
  private closed = false;
  private cluster?: Pick<ClusterNode, 'accept' | 'resetSession' | 'stopSession' | 'live'>;

  constructor(private readonly sessions: SessionRegistry) {}

  /**
   * Cluster mode: acceptGrouped() and submitGrouped() journal into the cluster's inbox (the session's owner
   * runs the message; start() has nothing to start for them); the channels use acceptGrouped() then too, and
   * resetInCluster(), stopInCluster() and liveInCluster() for their /new, /stop and /status.
   */
  useCluster(cluster: Pick<ClusterNode, 'accept' | 'resetSession' | 'stopSession' | 'live'>): void {
    this.cluster = cluster;
  }

  /**
   * Cluster mode: reset a session's model context in the cluster's history, on its owner (or here when nobody
   * owns it); resolves once the marker is stored (undefined: the session exists nowhere). `key` names the
   * marker: a reset asked again with it resets once. Rejects when NATS or the owner cannot do it. In one
   * process a reset is the transcript's (inbound/session-reset.ts); this rejects there.
   */
  resetInCluster(sessionKey: string, key: string): ReturnType<ClusterNode['resetSession']> {
    if (!this.cluster) return Promise.reject(new Error('resetInCluster needs cluster mode'));
    return this.cluster.resetSession(sessionKey, key);
  }

  /**
   * Cluster mode: stop a session wherever it runs — its running turn and waiting messages cancelled on its
   * owner (ClusterNode.stopSession); resolves with the run ids cancelled (none: nothing to stop). Rejects when
   * NATS or the owner cannot answer, and outside cluster mode (one process stops in its session registry).
   */
  stopInCluster(sessionKey: string): Promise<string[]> {
    if (!this.cluster) return Promise.reject(new Error('stopInCluster needs cluster mode'));
    return this.cluster.stopSession(sessionKey);
  }

  /**
   * Cluster mode: the session's running run and waiting messages as its owner sees them (ClusterNode.live).
   * Rejects when the owner does not answer, and outside cluster mode.
   */
  liveInCluster(sessionKey: string): ReturnType<ClusterNode['live']> {
    if (!this.cluster) return Promise.reject(new Error('liveInCluster needs cluster mode'));
    return this.cluster.live(sessionKey);
  }

  /** Cluster mode: acceptGrouped() journals into the cluster's inbox. */
  get clustered(): boolean {
    return this.cluster !== undefined;
  }

  /** The gateway is stopping: every message from now on is refused with ShuttingDown (503 / UNAVAILABLE). */
  close(): void {
    this.closed = true;
  }

  /** Accept and start at once: for surfaces with nothing to acknowledge in between. */
  submit(message: InboundMessage): InboundResult {
    const result = this.accept(message);
    if (result.kind === 'accepted') this.start(result.runId);
    return result;
  }

  /**
   * Validate, check the id, journal the message (durable before this returns) without starting it, so the
   * surface can acknowledge first. Throws ApiError 400 for a malformed message and StorageUnavailable when
   * the journal cannot be written (nothing is then recorded, and the same id may be sent again); ShuttingDown
   * once close() was called.
   */
  accept(message: InboundMessage): InboundResult {
    const req = this.request(message);
    return { ...this.sessions.accept(req), runId: req.runId };
  }

  /**
   * accept() with the journal write through the group commit queue: resolves once it is durable (the messages
   * of one tick share one transaction). Acknowledge after it resolves, then start(). Rejects as accept() throws.
   */
  async acceptGrouped(message: InboundMessage): Promise<InboundResult> {
    const req = this.request(message);
    if (this.cluster) return { ...await this.cluster.accept(req), runId: req.runId };
    return { ...await this.sessions.acceptGrouped(req), runId: req.runId };
  }

  /** acceptGrouped() then start(): for surfaces with nothing to acknowledge in between. */
  async submitGrouped(message: InboundMessage): Promise<InboundResult> {
    const result = await this.acceptGrouped(message);
    if (result.kind === 'accepted') this.start(result.runId);
    return result;
  }

  /** The checked message as the session registry takes it (throws ShuttingDown or ApiError 400). */
  private request(message: InboundMessage): SubmitRequest & { runId: string } {
    if (this.closed) throw new ShuttingDown();
    validate(message);
    const runId = message.idempotencyKey?.trim() || randomUUID();
    const input: RunInput = {
      runId, sessionKey: message.sessionKey, text: message.text, parts: message.parts ?? [], ...(message.sender.id ? { userId: message.sender.id } : {}),
      ...(message.model ? { model: message.model } : {}),
      ...(message.systemPrompt ? { systemPrompt: message.systemPrompt } : {}),
      ...(message.lateContext ? { lateContext: message.lateContext } : {}),
    };
    return {
      runId, origin: message.origin, input, mode: message.queueMode, listener: message.listener,
      ...(message.platformDelivery ? { noRetry: true, detached: true } : {}),
    };
  }

  /** Hand an accepted message to its session; false if it was not accepted or was cancelled meanwhile. */
  start(runId: string): boolean {
    return this.sessions.start(runId);
  }
}

function validate(m: InboundMessage): void {
  if (m.origin.surface !== m.surface) throw badRequest(`origin is for ${m.origin.surface}, the message came in through ${m.surface}`);
  if (m.sessionKey.trim() === '') throw badRequest('missing session key');
  if (m.sessionKey.length > MAX_SESSION_KEY_LENGTH) throw badRequest(`session key longer than ${MAX_SESSION_KEY_LENGTH} characters`);
  // keys end up in logs and (cluster mode) in message subjects
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(m.sessionKey)) throw badRequest('session key contains control characters');
  if (m.origin.surface === 'channel' && (!m.origin.channel || !m.origin.accountId || !m.origin.chatId)) {
    throw badRequest('a channel origin needs channel, accountId and chatId');
  }
}
