import type { ChannelClock, ChannelName } from '../../core/channel.js';
import type { Logger } from '../../core/log.js';
import type { ChannelOutbox, NewOutboxRow } from '../../store/channel-outbox.js';

// Cluster mode, an account in standby (another instance holds its lease): a channel run that ended here —
// this instance owns the run's session — wrote its reply rows into this instance's outbox, where no worker
// sends them. The forwarder hands them to the holder (ChannelLeases.forward, idempotent by row id there) and
// marks them done here only once the holder has committed them; when no holder answers they stay pending and
// are offered again after `retryMs`. Rows left here by a lease this instance lost go the same way.

/** How many rows one forward carries. */
const BATCH = 100;

/** What a forwarder needs. */
export interface RowForwarderDeps {
  channel: ChannelName;
  accountId: string;
  outbox: Pick<ChannelOutbox, 'pendingOf' | 'markForwarded'>;
  /** Resolves with the holder's id once it committed the rows; undefined when none answered. */
  forward(rows: NewOutboxRow[]): Promise<string | undefined>;
  clock: ChannelClock;
  retryMs: number;
  log: Pick<Logger, 'debug' | 'warn'>;
}

/** Forwards an account's pending rows to the lease holder while started; see the file comment. */
export class RowForwarder {
  private active = false;
  private draining = false;
  private again = false;
  private timer: unknown;

  constructor(private readonly deps: RowForwarderDeps) {}

  /** The account is in standby: forward what is pending, and whatever is kicked from now on. */
  start(): void {
    this.active = true;
    this.kick();
  }

  /** The account left standby (it holds the lease now, or stopped): its own worker sends, or nothing does. */
  stop(): void {
    this.active = false;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Shutdown: forward what is pending once more, whatever the account's state — the runs the drain finished
   * here wrote their rows after the account stopped. Each batch waits at most the relay's timeout.
   */
  async flush(): Promise<void> {
    if (this.draining) return;
    const was = this.active;
    this.active = true;
    try {
      await this.drain();
    } finally {
      if (!was) this.stop();
    }
  }

  /** New rows were committed for the account. */
  kick(): void {
    if (!this.active) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    void this.drain();
  }

  private async drain(): Promise<void> {
    const d = this.deps;
    this.draining = true;
    try {
      while (this.active) {
        this.again = false;
        const rows = d.outbox.pendingOf(d.channel, d.accountId, BATCH);
        if (rows.length === 0) return;
        const holder = await d.forward(rows.map(newRowOf));
        if (holder === undefined) {
          d.log.debug({ rows: rows.length }, 'no holder of the channel account answered: reply rows kept, offered again later');
          this.retryLater();
          return;
        }
        d.outbox.markForwarded(rows.map((r) => r.id), holder);
      }
    } catch (err) {
      d.log.warn({ err }, 'reply rows could not be forwarded to the channel account holder; offered again later');
      this.retryLater();
    } finally {
      this.draining = false;
      if (this.again && this.active && this.timer === undefined) this.kick();
    }
  }

  private retryLater(): void {
    if (!this.active || this.timer !== undefined) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, this.deps.retryMs);
  }
}

/** What the holder enqueues: the row as written here, pending there. */
function newRowOf(r: NewOutboxRow): NewOutboxRow {
  return { id: r.id, runId: r.runId, channel: r.channel, accountId: r.accountId, chatKey: r.chatKey, target: r.target, payload: r.payload };
}

const PAYLOAD_KINDS: ReadonlySet<string> = new Set(['reply', 'command', 'pairing', 'notice', 'preview']);

/**
 * The holder's check of forwarded rows (JSON from another instance): rows of this account, well formed; a
 * forwarded chunk 0 edits the Telegram preview this instance streamed for the run. Throws on anything else.
 */
export function forwardedRows(raw: unknown[], channel: ChannelName, accountId: string, outbox: Pick<ChannelOutbox, 'get'>): NewOutboxRow[] {
  return raw.map((value) => {
    const r = value as Partial<NewOutboxRow> | null;
    const str = (v: unknown) => typeof v === 'string' && v !== '';
    if (!r || !str(r.id) || !str(r.runId) || !str(r.chatKey) || r.channel !== channel || r.accountId !== accountId
      || typeof r.target !== 'object' || r.target === null || !str(r.target.chatId)
      || typeof r.payload !== 'object' || r.payload === null || !PAYLOAD_KINDS.has(r.payload.kind) || typeof r.payload.text !== 'string') {
      throw new Error(`not a reply row of ${channel}:${accountId}`);
    }
    const row = { id: r.id, runId: r.runId, channel, accountId, chatKey: r.chatKey, target: r.target, payload: r.payload } as NewOutboxRow;
    if (row.payload.kind === 'reply' && row.id === `${row.runId}:0` && row.payload.editMessageId === undefined) {
      const preview = outbox.get(`${row.runId}:preview`);
      if (preview?.state === 'sent' && preview.remoteId) row.payload = { ...row.payload, editMessageId: preview.remoteId };
    }
    return row;
  });
}
