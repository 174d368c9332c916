import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sleep } from './wait.js';

// A fake OpenAI-compatible server for tests: POST /v1/chat/completions with `stream: true`, answered
// with scripted SSE chunks. Loopback only, ephemeral port.
//
//   const fake = await startFakeOpenAI();
//   fake.enqueue({ text: ['Hel', 'lo'], usage: { prompt_tokens: 3, completion_tokens: 2 } });
//   fake.enqueue({ toolCalls: [{ id: 'c1', name: 'time.now', arguments: '{}' }] });   // split across chunks
//   fake.enqueue({ status: 429, headers: { 'retry-after': '0' } });                    // an error answer
//   fake.enqueue((body) => ({ text: [`saw ${body.messages.length} messages`] }));      // computed per request
//   … start a gateway with { model: 'openai', openaiBaseUrl: fake.url } …
//   fake.requests[0].body.messages   // every request body, in arrival order
//   await fake.waitForRequests(2);    // bounded wait until 2 requests arrived
//   await fake.close();
//
// Scripts are consumed one per request, in order; with none left a request gets `{ text: ['ok'] }`.
// Stream order: text deltas, tool calls (each split into several chunks: id+name first, then the
// arguments in pieces), then `malformed` or `hang` if set, else the finish chunk, the usage chunk
// (`choices: []`, as with stream_options.include_usage) and `data: [DONE]`. `delayMs` waits before every
// chunk. `hang` keeps the response open until the client goes away; `request.aborted` records that.

/** A tool call the fake model streams. */
export interface FakeToolCall {
  id: string;
  name: string;
  /** The arguments JSON text (sent in pieces). */
  arguments: string;
}

/** What the fake model answers to one request. */
export interface FakeScript {
  /** Answer with this HTTP status and an OpenAI-style error body instead of a stream. */
  status?: number;
  headers?: Record<string, string>;
  errorBody?: unknown;
  /** Content deltas, one chunk each. */
  text?: string[];
  toolCalls?: FakeToolCall[];
  usage?: { prompt_tokens: number; completion_tokens: number };
  /** Wait this long before every chunk. */
  delayMs?: number;
  /** After the deltas, send a data line that is not JSON (or this text) and end the response. */
  malformed?: boolean | string;
  /** After the deltas, stop sending and keep the response open until the client closes it. */
  hang?: boolean;
}

/** One request the fake server received, and how it ended. */
export interface FakeRequest {
  body: any;
  headers: http.IncomingHttpHeaders;
  /** The client closed the connection before the response was complete. */
  aborted: boolean;
  /** The response was fully sent. */
  finished: boolean;
}

/** The fake OpenAI-compatible server: scripted answers in order, the requests it saw. */
export interface FakeOpenAI {
  /** Base URL including `/v1`, for `--openai-base-url`. */
  url: string;
  requests: FakeRequest[];
  enqueue(...scripts: (FakeScript | ((body: any) => FakeScript))[]): void;
  /** Resolves once `n` requests arrived; rejects after `guardMs` (a hang guard, not a timing assertion). */
  waitForRequests(n: number, guardMs?: number): Promise<void>;
  /** Resolves once request `i` was aborted by the client (bounded like waitForRequests). */
  waitForAbort(i: number, guardMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts the fake server on an ephemeral loopback port. */
export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const queue: (FakeScript | ((body: any) => FakeScript))[] = [];
  const requests: FakeRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: any;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        body = undefined;
      }
      const record: FakeRequest = { body, headers: req.headers, aborted: false, finished: false };
      requests.push(record);
      res.on('close', () => {
        if (!record.finished) record.aborted = true;
      });
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
        record.finished = true;
        return;
      }
      const next = queue.shift() ?? { text: ['ok'] };
      const script = typeof next === 'function' ? next(body) : next;
      void answer(script, body, res, record);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;

  const waitFor = async (pred: () => boolean, what: string, guardMs: number) => {
    const until = Date.now() + guardMs;
    while (!pred()) {
      if (Date.now() > until) throw new Error(`fake-openai: ${what} never happened`);
      await sleep(5);
    }
  };

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    enqueue: (...scripts) => void queue.push(...scripts),
    waitForRequests: (n, guardMs = 20_000) => waitFor(() => requests.length >= n, `${n} requests`, guardMs),
    waitForAbort: (i, guardMs = 20_000) => waitFor(() => requests[i]?.aborted === true, `abort of request ${i}`, guardMs),
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

async function answer(script: FakeScript, body: any, res: http.ServerResponse, record: FakeRequest): Promise<void> {
  if (script.status !== undefined) {
    res.writeHead(script.status, { 'content-type': 'application/json', ...script.headers });
    res.end(JSON.stringify(script.errorBody ?? { error: { message: `fake error ${script.status}`, type: 'fake_error' } }));
    record.finished = true;
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...script.headers });
  const model = typeof body?.model === 'string' ? body.model : 'fake-model';
  const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 0, model };
  const closed = () => res.destroyed || res.writableEnded;
  const send = async (data: unknown) => {
    if (script.delayMs) await sleep(script.delayMs);
    if (closed()) return false;
    res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
    return true;
  };
  const delta = (d: object, finish: string | null = null) => ({ ...base, choices: [{ index: 0, delta: d, finish_reason: finish }] });

  if (!(await send(delta({ role: 'assistant', content: '' })))) return;
  for (const text of script.text ?? []) if (!(await send(delta({ content: text })))) return;
  for (const [index, call] of (script.toolCalls ?? []).entries()) {
    const first = { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } };
    if (!(await send(delta({ tool_calls: [first] })))) return;
    for (const piece of splitInto(call.arguments, 3)) {
      if (!(await send(delta({ tool_calls: [{ index, function: { arguments: piece } }] })))) return;
    }
  }
  if (script.malformed) {
    await send(typeof script.malformed === 'string' ? script.malformed : '{"choices": [ this is not json');
    record.finished = true;
    res.end();
    return;
  }
  if (script.hang) return; // the client's abort (or close()) ends it
  const finish = script.toolCalls?.length ? 'tool_calls' : 'stop';
  if (!(await send(delta({}, finish)))) return;
  if (script.usage) {
    const u = script.usage;
    if (!(await send({ ...base, choices: [], usage: { ...u, total_tokens: u.prompt_tokens + u.completion_tokens } }))) return;
  }
  if (!(await send('[DONE]'))) return;
  record.finished = true;
  res.end();
}

/** Splits text into at most `n` non-empty pieces (one empty piece for empty text). */
function splitInto(text: string, n: number): string[] {
  if (text.length === 0) return [''];
  const size = Math.ceil(text.length / n);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
