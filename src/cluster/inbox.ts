import { createHash } from 'node:crypto';
import {
  AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, JetStreamApiCodes, JetStreamApiError,
  jetstream, jetstreamManager, type JsMsg, RetentionPolicy, StorageType,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import type { QueueMode } from '../core/queue-mode.js';
import type { RunInput, RunOrigin } from '../core/run.js';
import { INBOX_PREFIX, INBOX_STREAM, inboxSubject, INSTANCE_HEADER, instanceHeaders, sessionKeyOf } from './subjects.js';

// The inbox: the cluster's journal of accepted messages, JetStream stream CLAWGATE_INBOX, one subject per
// session (`clawgate.inbox.<sessionToken>`), file storage. Whichever instance accepts a message appends it
// here and acknowledges the sender only after the stream's PubAck: from then on it survives any instance.
// The Nats-Msg-Id is the idempotency key (the run id), so a repeat within the dedupe window is refused by
// the server itself (PubAck.duplicate).
//
// The session's owner (lease.ts) reads its subject through one durable pull consumer per session and acks a
// message only when its run has finished (completed, failed or cancelled). The stream's retention is
// work-queue: an acked message is removed, so the stream holds exactly the unfinished messages. A new owner
// replaces the session's consumer with a fresh one that delivers everything still in the stream, in
// acceptance order — the runs the previous owner did not finish, then the new ones. Whether such a run
// was already started (and may run once more or must fail) is for the run status (run-status.ts) to say.

/** Default dedupe window: a repeated idempotency key within it is refused by the stream. */
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;

/**
 * The durable consumer name of a session: a hash, because a token may be longer than a consumer name (a
 * file name on the server's disk) may be.
 */
export function inboxConsumerName(sessionKey: string): string {
  return `session-${createHash('sha256').update(sessionKey).digest('base64url')}`;
}

/** An accepted message as journaled: what the owner needs to queue and run it (a SubmitRequest without its listener). */
export interface InboxEntry {
  /** The idempotency key: the run id and the stream's Nats-Msg-Id. */
  runId: string;
  origin: RunOrigin;
  /** The runner's input; `input.sessionKey` is the session. */
  input: RunInput;
  mode?: QueueMode;
  /** When it was accepted (epoch ms, the accepting instance's clock). */
  queuedAt: number;
}

/** One journaled message delivered to the session's owner. */
export interface InboxDelivery {
  entry: InboxEntry;
  /** Its place in the stream: acceptance order (within a session, the order to run in). */
  seq: number;
  /** The instance that accepted it. */
  acceptedBy: string;
  /** Its run finished: remove it from the journal. Resolves once the server confirmed. */
  ack(): Promise<void>;
}

/** Reads a session's journal for its owner; see Inbox.read. */
export interface InboxReader {
  /** Delivered messages not yet acked. */
  readonly unacked: number;
  /**
   * Stop reading, leaving the consumer (for a lost lease: the new owner's consumer may already have its name).
   * Unacked messages stay in the journal for the next owner.
   */
  stop(): Promise<void>;
  /** Stop reading and remove the consumer: a graceful hand-over, while still holding the lease. */
  close(): Promise<void>;
}

/** The inbox stream; see the file comment. */
export class Inbox {
  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly instanceId: string,
    private readonly maxUnacked: number,
  ) {}

  /**
   * Open the stream, creating it when absent. `maxUnacked` bounds the messages delivered to an owner and not
   * yet finished, per session (default 1000; the session's own queue bound refuses more anyway).
   */
  static async open(nc: NatsConnection, opts: { instanceId: string; duplicateWindowMs?: number; maxUnacked?: number }): Promise<Inbox> {
    const jsm = await jetstreamManager(nc);
    try {
      const info = await jsm.streams.info(INBOX_STREAM);
      if (info.config.retention !== RetentionPolicy.Workqueue) {
        throw new Error(`stream ${INBOX_STREAM} exists with ${info.config.retention} retention; the inbox needs workqueue (delete the stream)`);
      }
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
      await jsm.streams.add({
        name: INBOX_STREAM, subjects: [`${INBOX_PREFIX}.*`], storage: StorageType.File, retention: RetentionPolicy.Workqueue,
        duplicate_window: nanos(opts.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS),
      });
    }
    return new Inbox(jetstream(nc), jsm, opts.instanceId, opts.maxUnacked ?? 1000);
  }

  /**
   * Journal an accepted message; resolves after the stream's PubAck (it is durable then). `duplicate` means the
   * same run id was appended within the dedupe window: nothing new was journaled.
   */
  async append(entry: InboxEntry): Promise<{ seq: number; duplicate: boolean }> {
    const ack = await this.js.publish(inboxSubject(entry.input.sessionKey), encodeEntry(entry), {
      msgID: entry.runId, headers: instanceHeaders(this.instanceId),
    });
    return { seq: ack.seq, duplicate: ack.duplicate };
  }

  /**
   * Read a session's journal as its owner (call it only while holding the session's lease): every message
   * still in it, in acceptance order, then each new one. Replaces the session's consumer (a previous owner's
   * is deleted), so messages another owner received and never acked are delivered again. `deliver` is called
   * for one message at a time, in order (awaited); a message delivered again to this reader before it was
   * acked is not passed on twice. What `deliver` throws goes to `onError`, and reading goes on.
   */
  async read(sessionKey: string, handlers: {
    deliver: (d: InboxDelivery) => void | Promise<void>;
    onError: (err: unknown, d: InboxDelivery) => void;
  }): Promise<InboxReader> {
    const name = inboxConsumerName(sessionKey);
    await this.deleteConsumer(name);
    await this.jsm.consumers.add(INBOX_STREAM, {
      durable_name: name, filter_subject: inboxSubject(sessionKey), ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All,
      max_ack_pending: this.maxUnacked,
      // never redelivered to a live owner while its run goes on (runs may be long); a new owner replaces the consumer
      ack_wait: nanos(24 * 3600_000),
    });
    const messages = await (await this.js.consumers.get(INBOX_STREAM, name)).consume({ max_messages: Math.min(100, this.maxUnacked) });
    const unacked = new Set<number>();
    const loop = (async () => {
      for await (const m of messages) {
        if (unacked.has(m.seq)) continue;
        unacked.add(m.seq);
        const d = delivery(m, () => unacked.delete(m.seq));
        try {
          await handlers.deliver(d);
        } catch (err) {
          handlers.onError(err, d);
        }
      }
    })();
    let stopped: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopped ??= (async () => {
        await messages.close();
        await loop;
      })();
      return stopped;
    };
    return {
      get unacked() {
        return unacked.size;
      },
      stop,
      close: async () => {
        await stop();
        await this.deleteConsumer(name);
      },
    };
  }

  /**
   * How many messages of `sessionKey` are in the journal: its unfinished runs (queued, running, or ended and
   * not yet acked), whichever instance accepted them. One stream info request filtered on its subject.
   */
  async unfinished(sessionKey: string): Promise<number> {
    const subject = inboxSubject(sessionKey);
    const info = await this.jsm.streams.info(INBOX_STREAM, { subjects_filter: subject });
    return info.state.subjects?.[subject] ?? 0;
  }

  /** The sessions with messages in the journal (unfinished runs), with how many each. */
  async sessionsWithMessages(): Promise<Map<string, number>> {
    const info = await this.jsm.streams.info(INBOX_STREAM, { subjects_filter: `${INBOX_PREFIX}.*` });
    const out = new Map<string, number>();
    for (const [subject, n] of Object.entries(info.state.subjects ?? {})) {
      if (n > 0) out.set(sessionKeyOf(subject.slice(INBOX_PREFIX.length + 1)), n);
    }
    return out;
  }

  private async deleteConsumer(name: string): Promise<void> {
    try {
      await this.jsm.consumers.delete(INBOX_STREAM, name);
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw err;
    }
  }
}

function delivery(m: JsMsg, acked: () => void): InboxDelivery {
  return {
    entry: decodeEntry(m.data),
    seq: m.seq,
    acceptedBy: m.headers?.get(INSTANCE_HEADER) ?? '',
    async ack() {
      if (!(await m.ackAck())) throw new Error(`the inbox did not confirm the ack of message ${m.seq}`);
      acked();
    },
  };
}

/** JSON, with content parts' bytes (Uint8Array) as base64. */
export function encodeEntry(entry: InboxEntry): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(entry, (_k, v: unknown) => (v instanceof Uint8Array ? { $bytes: Buffer.from(v).toString('base64') } : v)));
}

/** The entry encodeEntry() wrote. */
export function decodeEntry(data: Uint8Array): InboxEntry {
  return JSON.parse(new TextDecoder().decode(data), (_k, v: unknown) => {
    if (v && typeof v === 'object' && typeof (v as { $bytes?: unknown }).$bytes === 'string') {
      return new Uint8Array(Buffer.from((v as { $bytes: string }).$bytes, 'base64'));
    }
    return v;
  }) as InboxEntry;
}
