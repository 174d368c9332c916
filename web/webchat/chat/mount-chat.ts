// WebChat's chat view (web-surfaces W6, W7): the session picker, the transcript of the open session from every
// surface (history, then `session.message` and `chat` events live), the composer with offline sends, and Stop.
// After every hello-ok (a reconnect too) and on a frame `seq` gap it reloads `chat.history` and reconciles by
// idempotency key, then sends the messages typed while offline: no bubble ever appears twice.
import type { GatewaySession } from '../../../src/client/index.ts';
import type { PageConnection } from '../../shared/page-connection.ts';
import { createComposer } from './composer.ts';
import { Outbox } from './outbox.ts';
import { applyChatEvent, type BubbleText, isTerminal, messageText, WORKING } from './reply-states.ts';
import { createSessionPicker } from './session-picker.ts';
import { type BubbleRole, TranscriptView } from './transcript.ts';

/** The session shown when nothing was chosen on this `<base>` and hello-ok names no default. */
const FALLBACK_SESSION = 'agent:main:main';
/** Marks a stored message keeps when the transcript (history or `session.message`) shows it again. */
const LASTING_MARKS = new Set(['sent', 'stopped', 'failed']);

/** A transcript entry's idempotency key and role, as `chat.history` and `session.message` carry it. */
function entryKey(message: unknown): { key: string; role: BubbleRole } | undefined {
  const m = message as { role?: unknown; __openclaw?: { idempotencyKey?: unknown } } | null;
  const key = m?.__openclaw?.idempotencyKey;
  if (typeof key !== 'string' || (m?.role !== 'user' && m?.role !== 'assistant')) return undefined;
  return { key, role: m.role };
}

/** Builds the chat view inside `root` and keeps it in step with the connection's sessions and events. */
export function mountChat(root: HTMLElement, conn: PageConnection): void {
  const { client } = conn;
  const storageKey = conn.storageKey('session');
  let live: GatewaySession | undefined;
  let openKey = readStored(storageKey);
  let subscribedKey: string | undefined;
  let sessionsSubscribed = false;
  let running: string | undefined;
  let generation = 0;

  const server = document.createElement('p');
  server.className = 'server';
  server.setAttribute('aria-live', 'polite');
  const problem = document.createElement('p');
  problem.className = 'chat-problem';
  problem.setAttribute('aria-live', 'polite');
  const transcript = new TranscriptView();
  const picker = createSessionPicker((key) => {
    writeStored(storageKey, key);
    void open(key);
  });
  const stop = document.createElement('button');
  stop.type = 'button';
  stop.textContent = 'Stop';
  stop.hidden = true;
  const showRunning = (runId: string | undefined) => {
    running = runId;
    stop.hidden = running === undefined;
  };
  stop.addEventListener('click', () => {
    const runId = running;
    if (!live || runId === undefined || openKey === undefined) return;
    live.request('chat.abort', { sessionKey: openKey, runId }).catch((err: Error) => void (problem.textContent = `Stop failed: ${err.message}`));
  });

  const outbox = new Outbox({
    marked(message, mark, retry) {
      if (message.sessionKey !== openKey) return;
      const key = `${message.key}:user`;
      transcript.upsert(key, 'user', { text: transcript.get(key)?.text ?? message.text, mark });
      transcript.setAction(key, retry && { label: 'Retry', run: retry });
    },
    acked(message, ack) {
      if (message.sessionKey !== openKey) return;
      // the reply bubble is there at once; the run's `chat` events fill it
      if (ack.status !== 'ok' && !transcript.get(message.key)) transcript.upsert(message.key, 'assistant', { text: '', mark: WORKING });
      if (ack.status === 'ok' && live) void resync(live); // it ran while the ack was lost: the history has it
    },
  }, () => live);
  const composer = createComposer((text) => void outbox.add(openKey ?? FALLBACK_SESSION, text));

  const toolbar = document.createElement('div');
  toolbar.className = 'chat-toolbar';
  toolbar.append(picker.element, stop);
  root.append(server, toolbar, transcript.element, composer.element, problem);

  /** Shows a message of the stored transcript: its text, and only the marks that outlive storage. */
  const showStored = (key: string, role: BubbleRole, text: string) => {
    const mark = transcript.get(key)?.mark ?? '';
    transcript.upsert(key, role, { text, mark: LASTING_MARKS.has(mark) ? mark : '' });
  };

  /** Reloads the open session's history and reconciles it with what is shown (W7 "Resync"). */
  async function resync(session: GatewaySession): Promise<void> {
    const key = openKey;
    if (key === undefined) return;
    const mine = ++generation;
    const history = await session.request('chat.history', { sessionKey: key, limit: 200 });
    if (mine !== generation || key !== openKey) return;
    const order: string[] = [];
    for (const message of history.messages) {
      const entry = entryKey(message);
      if (!entry) continue;
      order.push(entry.key);
      showStored(entry.key, entry.role, messageText(message) ?? '');
    }
    const inFlight = history.inFlightRun?.runId;
    if (inFlight !== undefined) {
      order.push(inFlight);
      if (!transcript.get(inFlight)) transcript.upsert(inFlight, 'assistant', { text: '', mark: WORKING });
    }
    for (const pending of history.pendingInputs?.items ?? []) {
      const userKey = `${pending.runId}:user`;
      order.push(userKey);
      if (!transcript.get(userKey)) transcript.upsert(userKey, 'user', { text: pending.text, mark: 'waiting' });
    }
    transcript.order(order);
    showRunning(inFlight);
  }

  /** Opens session `key`: unsubscribes the previous one, subscribes to this one, loads its history. */
  async function open(key: string): Promise<void> {
    if (key !== openKey) {
      transcript.clear();
      showRunning(undefined);
    }
    openKey = key;
    const session = live;
    if (!session) return;
    const previous = subscribedKey;
    if (previous !== undefined && previous !== key) {
      subscribedKey = undefined;
      await session.request('sessions.messages.unsubscribe', { key: previous }).catch(() => undefined);
    }
    if (subscribedKey !== key) {
      await session.request('sessions.messages.subscribe', { key });
      subscribedKey = key;
    }
    await resync(session);
  }

  let listing: Promise<void> | undefined;
  let listAgain = false;
  /** Refreshes the picker from `sessions.list` (calls made meanwhile coalesce into one more). */
  function refreshList(): void {
    if (listing) {
      listAgain = true;
      return;
    }
    listing = (async () => {
      do {
        listAgain = false;
        const session = live;
        if (!session || session.closed) return;
        const list = await session.request('sessions.list', { limit: 50 });
        picker.show(list.sessions, openKey ?? FALLBACK_SESSION);
      } while (listAgain);
    })().catch(() => undefined).finally(() => void (listing = undefined));
  }

  client.onHelloOk((session) => {
    live = session;
    problem.textContent = '';
    server.textContent = `Clawgate ${session.hello.server.version}`;
    openKey ??= session.hello.snapshot?.sessionDefaults?.mainSessionKey ?? FALLBACK_SESSION;
    if (!sessionsSubscribed) {
      // later reconnects re-send it themselves (the client remembers subscriptions)
      session.request('sessions.subscribe', {}).then(() => void (sessionsSubscribed = true), () => undefined);
    }
    refreshList();
    open(openKey).then(() => {
      if (live === session) outbox.flush(session);
    }, (err: Error) => {
      if (!session.closed) problem.textContent = `Could not load the session: ${err.message}`;
    });
  });
  client.onGap(() => {
    if (live && !live.closed) void resync(live).catch(() => undefined);
  });
  client.onEvent('chat', (event) => {
    if (event.sessionKey !== openKey) return;
    const prev: BubbleText = transcript.get(event.runId) ?? { text: '', mark: '' };
    transcript.upsert(event.runId, 'assistant', applyChatEvent(prev, event));
    if (!isTerminal(event)) showRunning(event.runId);
    else if (running === event.runId) showRunning(undefined);
  });
  client.onEvent('session.message', (event) => {
    if (event.sessionKey !== openKey) return;
    const entry = entryKey(event.message);
    if (entry) showStored(entry.key, entry.role, messageText(event.message) ?? '');
  });
  client.onEvent('sessions.changed', (event) => {
    refreshList();
    if (event.sessionKey !== openKey || event.runId === undefined) return;
    if (event.phase === 'start') showRunning(event.runId);
    else if ((event.phase === 'end' || event.phase === 'error') && running === event.runId) showRunning(undefined);
  });
  composer.focus();
}

function readStored(key: string): string | undefined {
  try {
    return localStorage.getItem(key) ?? undefined;
  } catch {
    return undefined; // storage may be off for this origin
  }
}

function writeStored(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // storage may be off; the choice then lasts until reload
  }
}
