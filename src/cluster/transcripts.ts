import {
  type Consumer, DeliverPolicy, type JetStreamClient, JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager,
  RetentionPolicy, StorageType,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import type { TranscriptMessage } from '../core/transcript.js';
import { instanceHeaders, sessionToken, TRANSCRIPT_PREFIX, TRANSCRIPT_STREAM, transcriptSubject } from './subjects.js';

// The cluster's transcripts: JetStream stream CLAWGATE_TRANSCRIPTS, one subject per session
// (`clawgate.transcript.<sessionToken>`), file storage, limits retention with no age limit (a session's
// history is kept as long as the single process keeps it in SQLite: for good). A session's owner appends
// each message its runs record (the user message when a run starts, the reply when it completes) and the
// context-reset markers; every instance reads the session's subject for chat.history and for the history
// given to the model, so a session whose owner changed (failover, an idle release and a claim elsewhere)
// keeps one history in one order.
//
// The Nats-Msg-Id is `<sessionToken>.<idempotency key>` (`<runId>:user`, `<runId>`, `reset:<uuid>`): a run
// run once more by a new owner records its user message again, which the stream refuses within its dedupe
// window, and which a reader skips after it (the first copy counts). `seq` is a message's place in the
// session's history as read (1, 2, …), the same on every instance.
//
// Writes of one session leave in order (one chain per session), and a read on this instance waits for this
// instance's writes of the session first: the owner's next run sees the reply its last run just recorded.

/** Messages asked for at once while reading a session's subject. */
const READ_BATCH = 1000;

/** How a message is stored: a TranscriptMessage without its seq (given when read). */
type StoredMessage = Omit<TranscriptMessage, 'seq'>;

/** The transcript stream; see the file comment. */
export class ClusterTranscripts {
  /** Each session's last write (never rejects): reads wait for it, the next write goes after it. */
  private readonly writes = new Map<string, Promise<void>>();

  private constructor(private readonly js: JetStreamClient, private readonly instanceId: string) {}

  /** Open the stream, creating it when absent. */
  static async open(nc: NatsConnection, opts: { instanceId: string; duplicateWindowMs?: number }): Promise<ClusterTranscripts> {
    const jsm = await jetstreamManager(nc);
    try {
      await jsm.streams.info(TRANSCRIPT_STREAM);
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
      await jsm.streams.add({
        name: TRANSCRIPT_STREAM, subjects: [`${TRANSCRIPT_PREFIX}.*`], storage: StorageType.File, retention: RetentionPolicy.Limits,
        duplicate_window: nanos(opts.duplicateWindowMs ?? 120_000),
      });
    }
    return new ClusterTranscripts(jetstream(nc), opts.instanceId);
  }

  /**
   * Append a message to the session's history, after this instance's earlier writes of the session. Resolves
   * once the stream stored it (or refused it as a repeat); rejects when NATS could not take it.
   */
  append(sessionKey: string, m: StoredMessage): Promise<void> {
    const stored: StoredMessage = { id: m.id, role: m.role, text: m.text, timestamp: m.timestamp, runId: m.runId, idempotencyKey: m.idempotencyKey };
    const write = (this.writes.get(sessionKey) ?? Promise.resolve()).then(async () => {
      await this.js.publish(transcriptSubject(sessionKey), JSON.stringify(stored), {
        msgID: `${sessionToken(sessionKey)}.${m.idempotencyKey}`, headers: instanceHeaders(this.instanceId),
      });
    });
    const settled = write.catch(() => {});
    this.writes.set(sessionKey, settled);
    // forgotten once nothing follows it, so the map holds only sessions with writes under way
    void settled.then(() => {
      if (this.writes.get(sessionKey) === settled) this.writes.delete(sessionKey);
    });
    return write;
  }

  /** Resolves once this instance's writes of the session so far have settled (stored, or failed). */
  flushed(sessionKey: string): Promise<void> {
    return this.writes.get(sessionKey) ?? Promise.resolve();
  }

  /** How many messages the stream holds for the session (repeats included): 0 for a session it has never seen. */
  async count(sessionKey: string): Promise<number> {
    const reader = await this.reader(sessionKey);
    await reader.consumer.delete().catch(() => {});
    return reader.pending;
  }

  /**
   * The session's whole history, oldest first, each message once (its first copy), numbered from 1. Waits
   * for this instance's writes of the session first. Reads the whole subject: its cost grows with the session.
   */
  async read(sessionKey: string): Promise<TranscriptMessage[]> {
    await this.flushed(sessionKey);
    const { consumer, pending: n } = await this.reader(sessionKey);
    const out: TranscriptMessage[] = [];
    const seen = new Set<string>();
    try {
      // in batches until the consumer has nothing more pending (what was appended meanwhile is read too)
      for (let pending = n; pending > 0;) {
        const batch = await consumer.fetch({ max_messages: Math.min(pending, READ_BATCH), expires: 5_000 });
        let got = 0;
        for await (const msg of batch) {
          got++;
          const m = msg.json<StoredMessage>();
          if (!seen.has(m.idempotencyKey)) {
            seen.add(m.idempotencyKey);
            out.push({ ...m, seq: out.length + 1 });
          }
          pending = msg.info.pending;
          if (pending === 0) break;
        }
        // never a silently cut history
        if (got === 0) throw new Error(`the history of session "${sessionKey}" could not be read: no message came within 5 s`);
      }
    } finally {
      await consumer.delete().catch(() => {});
    }
    return out;
  }

  /**
   * An ordered consumer of the session's subject from its first message, and how many messages it has
   * pending (from its creation's answer: the server counts one subject, not every session's as a filtered
   * stream info would). Delete it after use.
   */
  private async reader(sessionKey: string): Promise<{ consumer: Consumer; pending: number }> {
    const consumer = await this.js.consumers.get(TRANSCRIPT_STREAM, { filter_subjects: transcriptSubject(sessionKey), deliver_policy: DeliverPolicy.All });
    return { consumer, pending: (await consumer.info(true)).num_pending };
  }

  /** A page as TranscriptStore.messages gives it: `limit` newest after skipping `offset` newest, oldest first; `total` counts all. */
  async messages(sessionKey: string, opts: { limit?: number; offset?: number } = {}): Promise<{ messages: TranscriptMessage[]; total: number }> {
    const all = await this.read(sessionKey);
    const end = all.length - Math.max(0, opts.offset ?? 0);
    const start = opts.limit === undefined ? 0 : end - Math.max(0, opts.limit);
    return { messages: all.slice(Math.max(0, start), Math.max(0, end)), total: all.length };
  }
}
