import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { sleep } from './wait.js';

// A fake Telegram Bot API for tests (spec channels.md §6.1): `POST /bot<token>/<method>` with JSON bodies,
// answered with the Bot API envelope (`{ok:true, result}` or `{ok:false, error_code, description, parameters?}`,
// HTTP status = error_code), plus `GET /file/bot<token>/<path>`. Loopback only, ephemeral port.
//
//   const tg = await startFakeTelegram();               // token 123:abc, bot id 123, @t_bot
//   t.after(() => tg.close());                          // register before any assertion
//   … new Bot(tg.token, { client: { apiRoot: tg.apiRoot } }) …
//   tg.queueUpdate({ message: { … } });                 // update_id assigned when absent
//   tg.failNext('getUpdates', { error_code: 409, description: 'Conflict: …' }, 2);
//   tg.rateLimitNext('sendMessage', 2);                 // the next sendMessage answers 429 retry_after 2
//   tg.rejectEntities(true);                            // every parse_mode call answers `can't parse entities`
//   tg.setWebhookActive('https://x.test/hook');         // getUpdates now answers 409
//   const fileId = tg.addFile(bytes, { filePath: 'photos/a.jpg' });
//   await tg.waitForCalls('sendMessage', 1);
//   tg.calls.filter((c) => c.method === 'getUpdates')   // every call, in arrival order
//
// getUpdates honours offset (confirms everything below it), limit and timeout (seconds): with nothing to
// return it parks until an update is queued, the timeout passes, the client aborts, a second getUpdates
// arrives (the first then answers 409, as Telegram does) or close(). Wrong token → 401 (the call is still
// recorded, with `token: 'wrong'`); unknown method → 404.

/** A Bot API error the fake answers with (the envelope's fields). */
export interface FakeTelegramError {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

/** One call the fake received. */
export interface FakeTelegramCall {
  /** The Bot API method, or `file` for a `GET /file/bot<token>/<path>` download (body `{path}`). */
  method: string;
  body: any;
  /** Arrival time from the injected `now` (default Date.now()). */
  at: number;
  /** `wrong` when the path's token was not the fake's. */
  token: 'ok' | 'wrong';
}

/** Options of the fake. */
export interface FakeTelegramOptions {
  /** Default `123:abc`. */
  token?: string;
  /** Default: the token's numeric prefix. */
  botId?: number;
  /** Default `t_bot`. */
  username?: string;
  firstName?: string;
  /** getMe `has_topics_enabled` (topics in DMs). */
  hasTopicsEnabled?: boolean;
  /** true = every chat is a forum; an array = these chat ids are forums (sendChatAction with a thread id elsewhere → 400). */
  isForum?: boolean | (string | number)[];
  /** What `at` reads (e.g. a SimulatedClock's now). */
  now?: () => number;
}

/** The running fake Bot API. */
export interface FakeTelegram {
  /** `http://127.0.0.1:<port>` — grammY's `client.apiRoot`. */
  apiRoot: string;
  token: string;
  botId: number;
  username: string;
  calls: FakeTelegramCall[];
  /** Queues an update (assigns `update_id` = last + 1 when absent); releases a parked getUpdates. Returns the id. */
  queueUpdate(update: Record<string, unknown>): number;
  /** The next `times` calls of `method` answer this error instead. */
  failNext(method: string, error: FakeTelegramError, times?: number): void;
  /** The next call of `method` answers 429 with `retry_after` seconds. */
  rateLimitNext(method: string, retryAfterSeconds: number): void;
  /** While on, sendMessage/editMessageText with a parse_mode answer 400 `can't parse entities`. */
  rejectEntities(on: boolean): void;
  /** Sets (a URL) or clears (undefined) the webhook; while set, getUpdates answers 409. */
  setWebhookActive(url: string | undefined): void;
  /** The webhook URL set by setWebhook, if any. */
  webhookUrl(): string | undefined;
  /** Registers a downloadable file; returns its file_id. */
  addFile(data: Uint8Array, opts?: { fileId?: string; filePath?: string; fileSize?: number }): string;
  /** The text of a message the bot sent (after edits), or undefined. */
  messageText(chatId: string | number, messageId: number): string | undefined;
  /** The calls of one method. */
  callsOf(method: string): FakeTelegramCall[];
  /** Resolves once `n` calls of `method` arrived; rejects after `guardMs` (a hang guard, not a timing assertion). */
  waitForCalls(method: string, n: number, guardMs?: number): Promise<FakeTelegramCall[]>;
  /** Number of getUpdates requests parked right now. */
  parkedCount(): number;
  /** How many parked getUpdates a second poller terminated with 409 (two pollers on one token). */
  pollConflicts(): number;
  /** Client connections open right now (keep-alive ones included). */
  openSockets(): number;
  /** Ends parked requests and every socket, then the server. */
  close(): Promise<void>;
}

interface Parked {
  res: http.ServerResponse;
  offset: number;
  limit: number;
  timer: NodeJS.Timeout;
}

const CONFLICT_POLL = 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running';
const CONFLICT_WEBHOOK = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";

/** Starts the fake Bot API on an ephemeral loopback port. */
export async function startFakeTelegram(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const token = options.token ?? '123:abc';
  const botId = options.botId ?? Number(token.split(':')[0]);
  const username = options.username ?? 't_bot';
  const now = options.now ?? Date.now;
  const calls: FakeTelegramCall[] = [];
  const updates: Record<string, any>[] = [];
  let lastUpdateId = 0;
  let parked: Parked[] = [];
  const failures = new Map<string, FakeTelegramError[]>();
  let entitiesRejected = false;
  let webhook: string | undefined;
  let nextMessageId = 1;
  const messages = new Map<string, { text: string }>();
  const files = new Map<string, { data: Uint8Array; filePath: string; fileSize: number }>();
  const sockets = new Set<Socket>();
  let closed = false;
  let pollConflicts = 0;

  const isForum = (chatId: unknown) => options.isForum === true
    || (Array.isArray(options.isForum) && options.isForum.map(String).includes(String(chatId)));

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const ok = (res: http.ServerResponse, result: unknown) => send(res, 200, { ok: true, result });
  const fail = (res: http.ServerResponse, e: FakeTelegramError) =>
    send(res, e.error_code, { ok: false, error_code: e.error_code, description: e.description, ...(e.parameters ? { parameters: e.parameters } : {}) });
  const bad = (res: http.ServerResponse, description: string) => fail(res, { error_code: 400, description: `Bad Request: ${description}` });

  const pending = (offset: number, limit: number) => updates.filter((u) => u.update_id >= offset).slice(0, limit);
  const confirm = (offset: number) => {
    for (let i = updates.length - 1; i >= 0; i--) if (updates[i].update_id < offset) updates.splice(i, 1);
  };
  const unpark = (p: Parked) => {
    clearTimeout(p.timer);
    parked = parked.filter((x) => x !== p);
  };
  const releaseParked = () => {
    for (const p of [...parked]) {
      const batch = pending(p.offset, p.limit);
      if (batch.length > 0) { unpark(p); ok(p.res, batch); }
    }
  };

  const message = (chatId: unknown, text: string, threadId?: unknown, messageId = nextMessageId++) => ({
    message_id: messageId,
    date: Math.floor(now() / 1000),
    chat: { id: Number(chatId), type: Number(chatId) < 0 ? 'supergroup' : 'private', ...(isForum(chatId) ? { is_forum: true } : {}) },
    from: { id: botId, is_bot: true, first_name: options.firstName ?? 'Test Bot', username },
    text,
    ...(threadId !== undefined ? { message_thread_id: threadId } : {}),
  });

  function getUpdates(body: any, req: http.IncomingMessage, res: http.ServerResponse) {
    if (webhook !== undefined) return fail(res, { error_code: 409, description: CONFLICT_WEBHOOK });
    // A second poller terminates the first one, as Telegram does.
    for (const p of [...parked]) { unpark(p); pollConflicts++; fail(p.res, { error_code: 409, description: CONFLICT_POLL }); }
    const offset = Number(body.offset ?? 0);
    const limit = Math.min(100, Math.max(1, Number(body.limit ?? 100)));
    const timeout = Math.max(0, Number(body.timeout ?? 0));
    if (offset > 0) confirm(offset);
    const batch = pending(offset, limit);
    if (batch.length > 0 || timeout === 0) return ok(res, batch);
    const p: Parked = { res, offset, limit, timer: setTimeout(() => { unpark(p); ok(res, []); }, timeout * 1000) };
    parked.push(p);
    res.on('close', () => unpark(p)); // the client aborted (or close())
    void req;
  }

  function answer(method: string, body: any, req: http.IncomingMessage, res: http.ServerResponse) {
    const failure = failures.get(method)?.shift();
    if (failure) return fail(res, failure);
    const parseMode = body.parse_mode !== undefined;
    switch (method) {
      case 'getMe':
        return ok(res, {
          id: botId, is_bot: true, first_name: options.firstName ?? 'Test Bot', username,
          can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false,
          ...(options.hasTopicsEnabled !== undefined ? { has_topics_enabled: options.hasTopicsEnabled } : {}),
        });
      case 'getUpdates':
        return getUpdates(body, req, res);
      case 'setWebhook':
        if (typeof body.url !== 'string') return bad(res, 'bad webhook: URL must be provided');
        webhook = body.url === '' ? undefined : body.url;
        return ok(res, true);
      case 'deleteWebhook':
        webhook = undefined;
        if (body.drop_pending_updates) updates.length = 0;
        return ok(res, true);
      case 'getWebhookInfo':
        return ok(res, { url: webhook ?? '', has_custom_certificate: false, pending_update_count: updates.length });
      case 'sendMessage': {
        if (body.chat_id === undefined) return bad(res, 'chat_id is empty');
        if (typeof body.text !== 'string' || body.text === '') return bad(res, 'message text is empty');
        if (parseMode && entitiesRejected) return bad(res, "can't parse entities: Unsupported start tag \"x\" at byte offset 0");
        const m = message(body.chat_id, body.text, body.message_thread_id);
        messages.set(`${body.chat_id}:${m.message_id}`, { text: body.text });
        return ok(res, m);
      }
      case 'editMessageText': {
        const stored = messages.get(`${body.chat_id}:${body.message_id}`);
        if (!stored) return bad(res, 'message to edit not found');
        if (parseMode && entitiesRejected) return bad(res, "can't parse entities: Unsupported start tag \"x\" at byte offset 0");
        if (stored.text === body.text) {
          return bad(res, 'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
        }
        stored.text = body.text;
        return ok(res, { ...message(body.chat_id, body.text, undefined, Number(body.message_id)), edit_date: Math.floor(now() / 1000) });
      }
      case 'deleteMessage': {
        const key = `${body.chat_id}:${body.message_id}`;
        if (!messages.delete(key)) return bad(res, 'message to delete not found');
        return ok(res, true);
      }
      case 'sendChatAction':
        if (body.message_thread_id !== undefined && !isForum(body.chat_id)) return bad(res, 'chat is not a forum');
        return ok(res, true);
      case 'setMyCommands':
      case 'deleteMyCommands':
        return ok(res, true);
      case 'getFile': {
        const f = files.get(String(body.file_id));
        if (!f) return bad(res, 'invalid file_id');
        return ok(res, { file_id: body.file_id, file_unique_id: `u${body.file_id}`, file_size: f.fileSize, file_path: f.filePath });
      }
      default:
        return fail(res, { error_code: 404, description: 'Not Found' });
    }
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const file = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (req.method === 'GET' && file) {
      const tokenOk = file[1] === token;
      const path = decodeURIComponent(file[2]);
      calls.push({ method: 'file', body: { path }, at: now(), token: tokenOk ? 'ok' : 'wrong' });
      if (!tokenOk) return fail(res, { error_code: 401, description: 'Unauthorized' });
      const f = [...files.values()].find((x) => x.filePath === path);
      if (!f) return fail(res, { error_code: 404, description: 'Not Found' });
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(f.data.byteLength) });
      return res.end(Buffer.from(f.data));
    }
    const route = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!route) return fail(res, { error_code: 404, description: 'Not Found' });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: any = Object.fromEntries(url.searchParams);
      const raw = Buffer.concat(chunks).toString('utf8');
      if (raw !== '') {
        try { body = { ...body, ...JSON.parse(raw) }; } catch { return bad(res, 'invalid JSON body'); }
      }
      const tokenOk = route[1] === token;
      calls.push({ method: route[2], body, at: now(), token: tokenOk ? 'ok' : 'wrong' });
      if (!tokenOk) return fail(res, { error_code: 401, description: 'Unauthorized' });
      answer(route[2], body, req, res);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;

  const fake: FakeTelegram = {
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    botId,
    username,
    calls,
    queueUpdate(update) {
      const id = typeof update.update_id === 'number' ? update.update_id : lastUpdateId + 1;
      lastUpdateId = Math.max(lastUpdateId, id);
      updates.push({ ...update, update_id: id });
      updates.sort((a, b) => a.update_id - b.update_id);
      releaseParked();
      return id;
    },
    failNext(method, error, times = 1) {
      const list = failures.get(method) ?? [];
      for (let i = 0; i < times; i++) list.push(error);
      failures.set(method, list);
    },
    rateLimitNext(method, retryAfterSeconds) {
      fake.failNext(method, { error_code: 429, description: `Too Many Requests: retry after ${retryAfterSeconds}`, parameters: { retry_after: retryAfterSeconds } });
    },
    rejectEntities(on) { entitiesRejected = on; },
    setWebhookActive(url) { webhook = url; },
    webhookUrl: () => webhook,
    addFile(data, opts = {}) {
      const fileId = opts.fileId ?? `file${files.size + 1}`;
      files.set(fileId, { data, filePath: opts.filePath ?? `documents/${fileId}.bin`, fileSize: opts.fileSize ?? data.byteLength });
      return fileId;
    },
    messageText: (chatId, messageId) => messages.get(`${chatId}:${messageId}`)?.text,
    callsOf: (method) => calls.filter((c) => c.method === method),
    async waitForCalls(method, n, guardMs = 10_000) {
      const deadline = Date.now() + guardMs;
      while (fake.callsOf(method).length < n) {
        if (Date.now() > deadline) throw new Error(`timed out after ${guardMs} ms waiting for ${n} ${method} calls (saw ${fake.callsOf(method).length})`);
        await sleep(2);
      }
      return fake.callsOf(method);
    },
    parkedCount: () => parked.length,
    pollConflicts: () => pollConflicts,
    openSockets: () => sockets.size,
    close: () => new Promise<void>((resolve) => {
      if (closed) return resolve();
      closed = true;
      for (const p of [...parked]) { unpark(p); p.res.destroy(); }
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
  return fake;
}
