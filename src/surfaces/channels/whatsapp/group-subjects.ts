// Group subjects for labels (spec channels.md WA5): `groupMetadata(jid)` is a round trip to WhatsApp, so each
// group's answer is kept 5 minutes on the channel clock, and concurrent asks for one group share one call. A
// failed lookup is remembered for the same time as "unknown" (a group we left must not cost a call per message).

/** How long a group's subject is kept. */
export const GROUP_SUBJECT_TTL_MS = 5 * 60_000;

/** Entries kept at most (the oldest goes first). */
const MAX_GROUPS = 500;

/** What the cache needs: the lookup (the live socket's `groupMetadata`) and the clock. */
export interface GroupSubjectsDeps {
  groupMetadata(jid: string): Promise<{ subject?: string | null } | undefined>;
  now(): number;
  ttlMs?: number;
}

/** The 5-minute cache of group subjects (see the file comment). */
export class GroupSubjects {
  private readonly entries = new Map<string, { at: number; subject: Promise<string | undefined> }>();

  constructor(private readonly deps: GroupSubjectsDeps) {}

  /** The group's subject, from the cache when fresh; undefined when WhatsApp does not tell. Never rejects. */
  subject(jid: string): Promise<string | undefined> {
    const now = this.deps.now();
    const hit = this.entries.get(jid);
    if (hit && now - hit.at < (this.deps.ttlMs ?? GROUP_SUBJECT_TTL_MS)) return hit.subject;
    this.entries.delete(jid);
    const subject = this.lookup(jid);
    this.entries.set(jid, { at: now, subject });
    if (this.entries.size > MAX_GROUPS) this.entries.delete(this.entries.keys().next().value as string);
    return subject;
  }

  private async lookup(jid: string): Promise<string | undefined> {
    try {
      const meta = await this.deps.groupMetadata(jid);
      return meta?.subject?.trim() || undefined;
    } catch {
      return undefined;
    }
  }
}
