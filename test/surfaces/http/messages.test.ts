import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startTestGateway, readSse, type TestGateway } from '../../helpers/gateway.js';
import { rawExchange, requestHead, writeAll, writeChunked, parseJsonBody, type RawResponse } from '../../helpers/raw-http.js';
import { assertErrorShape as isError } from '../../helpers/http-plane.js';

// http-gateway.md §13 items 7–27 (Setup A: mock, no allowlist, no gating), plus bad input: invalid UTF-8,
// deep nesting, slow and abandoned bodies. Real gateways on ephemeral ports, asserted from outside.

const P = '/v1/gateway';
const MAX = 12_582_912;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let a: TestGateway; // Setup A
let small: TestGateway; // max body 64
let cat: TestGateway; // model catalog ["m1", "gpt-x"]
let bad: TestGateway; // Setup A with a short body deadline, for slow and broken clients

before(async () => {
  [a, small, cat, bad] = await Promise.all([
    startTestGateway(),
    startTestGateway({ maxBodyBytes: 64 }),
    startTestGateway({ modelCatalog: ['m1', 'gpt-x'] }),
    startTestGateway({ bodyTimeoutMs: 300 }),
  ]);
});

after(async () => {
  await Promise.all([a, small, cat, bad].map((g) => g?.close()));
});

interface Answer {
  status: number;
  headers: Headers;
  json: any;
  text: string;
}

async function send(g: TestGateway, body: string | Uint8Array, path = `${P}/messages`, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(g.url + path, { method: 'POST', body: body as BodyInit, ...init });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}
const msg = (g: TestGateway, body: unknown) => send(g, JSON.stringify(body));

function rawAnswer(r: RawResponse) {
  return { status: r.status, json: parseJsonBody(r), text: r.body.toString('utf8') };
}

/** A valid message body of exactly `size` bytes (padding in an ignored field). */
function bodyOfSize(size: number, text = 'big'): Buffer {
  const head = `{"from":"alice","text":"${text}","pad":"`;
  const tail = '"}';
  const n = size - head.length - tail.length;
  assert.ok(n >= 0);
  const buf = Buffer.alloc(size, 0x78);
  buf.write(head, 0, 'latin1');
  buf.write(tail, size - tail.length, 'latin1');
  return buf;
}

describe('messages (Setup A)', () => {
  test('#7 {"from":"alice","text":"Hello"} → 200 with session_id, uuid v4 request_id, reply; no usage/ignored', async () => {
    const r = await msg(a, { from: 'alice', text: 'Hello' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.deepEqual(Object.keys(r.json).sort(), ['reply', 'request_id', 'session_id']);
    assert.equal(r.json.session_id, 'http:dm:alice');
    assert.equal(r.json.reply, 'Echo: Hello');
    assert.match(r.json.request_id, UUID_V4);
    // a fresh id per request
    const r2 = await msg(a, { from: 'alice', text: 'Hello' });
    assert.match(r2.json.request_id, UUID_V4);
    assert.notEqual(r2.json.request_id, r.json.request_id);
  });

  test('#8 client request_id is used as is (trimmed)', async () => {
    const r = await msg(a, { from: 'alice', text: 'Hi', request_id: 'r-1' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { session_id: 'http:dm:alice', request_id: 'r-1', reply: 'Echo: Hi' });
    const t = await msg(a, { from: 'alice', text: 'Hi', request_id: '  r-8-trim  ' });
    assert.equal(t.json.request_id, 'r-8-trim');
    // blank → generated
    const g = await msg(a, { from: 'alice', text: 'Hi', request_id: '   ' });
    assert.match(g.json.request_id, UUID_V4);
  });

  test('#9 channel slack → slack:dm:alice', async () => {
    const r = await msg(a, { from: 'alice', text: 'Hi', channel: 'slack' });
    assert.equal(r.status, 200);
    assert.equal(r.json.session_id, 'slack:dm:alice');
    const c = await msg(a, { from: 'alice', text: 'Hi', channel: 'Slack' });
    assert.equal(c.json.session_id, 'Slack:dm:alice', 'case kept');
  });

  test('#10 thread → http:thread:g1', async () => {
    const r = await msg(a, { from: 'alice', thread: 'g1', text: 'Hi' });
    assert.equal(r.status, 200);
    assert.equal(r.json.session_id, 'http:thread:g1');
  });

  test('#11 thread with user_id and no from → 200 http:thread:g1', async () => {
    const r = await msg(a, { thread: 'g1', user_id: 'u9', text: 'Hi' });
    assert.equal(r.status, 200);
    assert.equal(r.json.session_id, 'http:thread:g1');
    assert.equal(r.json.reply, 'Echo: Hi');
  });

  test('#12 trimming: from, blank channel, text', async () => {
    const r = await msg(a, { from: '  alice  ', channel: '  ', text: '  Hi ' });
    assert.equal(r.status, 200);
    assert.equal(r.json.session_id, 'http:dm:alice');
    assert.equal(r.json.reply, 'Echo: Hi');
  });

  test('#13 no escaping: from "a:b" → http:dm:a:b', async () => {
    const r = await msg(a, { from: 'a:b', text: 'x' });
    assert.equal(r.status, 200);
    assert.equal(r.json.session_id, 'http:dm:a:b');
  });

  test('#14 explicit session_id wins', async () => {
    const r = await msg(a, { from: 'alice', session_id: 'custom-1', text: 'x' });
    assert.equal(r.status, 200);
    assert.equal(r.json.session_id, 'custom-1');
    const t = await msg(a, { from: 'alice', session_id: '  custom-2 ', text: 'x' });
    assert.equal(t.json.session_id, 'custom-2');
    // user_id only is fine with session_id (no derivation needed)
    const u = await msg(a, { user_id: 'u1', session_id: 'custom-3', text: 'x' });
    assert.equal(u.status, 200);
    assert.equal(u.json.session_id, 'custom-3');
  });

  test('#15 user_id without from, thread or session_id → 400 missing from for dm session id', async () => {
    const r = await msg(a, { user_id: 'u1', text: 'x' });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json, { error: { type: 'invalid_request', message: 'gateway: missing from for dm session id' } });
    // blank from counts as missing; session derivation (step 8) comes before the model check (step 9)
    const b = await msg(a, { user_id: 'u1', from: '   ', text: 'x', model: 'whatever' });
    isError(b, 400, 'invalid_request', 'gateway: missing from for dm session id');
  });

  test('#16 {"text":"x"} → 400 missing user_id or from', async () => {
    isError(await msg(a, { text: 'x' }), 400, 'invalid_request', 'missing user_id or from');
    isError(await msg(a, { text: 'x', from: ' ', user_id: '  ' }), 400, 'invalid_request', 'missing user_id or from');
  });

  test('#17 no text or blank text → 400 missing text', async () => {
    isError(await msg(a, { from: 'alice' }), 400, 'invalid_request', 'missing text');
    isError(await msg(a, { from: 'alice', text: '   ' }), 400, 'invalid_request', 'missing text');
    isError(await msg(a, { from: 'alice', text: '\n\t ' }), 400, 'invalid_request', 'missing text');
    isError(await msg(a, { from: 'alice', text: 'x'.slice(1), content_parts: [] }), 400, 'invalid_request', 'missing text');
  });

  test('#18 {"text":""} → 400 missing text (text before user)', async () => {
    const r = await msg(a, { text: '' });
    assert.deepEqual(r.json, { error: { type: 'invalid_request', message: 'missing text' } });
    assert.equal(r.status, 400);
  });

  test('#19 malformed JSON → 400 decode json', async () => {
    for (const body of ['{not json', '{"from":', '{"from":"alice",}', "{'from':'alice'}", 'nul', '\u0000']) {
      isError(await send(a, body), 400, 'invalid_request', /^decode json: ./);
    }
  });

  test('#20 empty body → 400 decode json: EOF', async () => {
    const r = await send(a, '');
    assert.equal(r.status, 400);
    assert.deepEqual(r.json, { error: { type: 'invalid_request', message: 'decode json: EOF' } });
    // whitespace only is EOF too (Go's decoder skips it)
    isError(await send(a, ' \r\n\t '), 400, 'invalid_request', 'decode json: EOF');
    // and an empty chunked body
    const c = await rawExchange(a.port, {
      write: (sock) => { sock.write(`${requestHead('POST', `${P}/messages`, { 'Transfer-Encoding': 'chunked' })}0\r\n\r\n`); },
    });
    isError(rawAnswer(c), 400, 'invalid_request', 'decode json: EOF');
  });

  test('#21 [], wrong field types, trailing data → 400 decode json', async () => {
    for (const body of [
      '[]', '"text"', '42', 'true',
      '{"from":"alice","text":123}',
      '{"from":"alice","text":"Hi"} trailing',
      '{"from":"alice","text":"Hi"}{"from":"bob"}',
      '{"from":["alice"],"text":"Hi"}',
      '{"from":"alice","text":"Hi","content_parts":{}}',
      '{"from":"alice","text":"Hi","content_parts":["x"]}',
      '{"from":"alice","text":"Hi","extensions":[]}',
      '{"from":"alice","text":"Hi","stream_options":{"progress_after_text_delta":"yes"}}',
    ]) {
      isError(await send(a, body), 400, 'invalid_request', /^decode json: ./);
    }
    // trailing whitespace is fine
    const ok = await send(a, '{"from":"alice","text":"Hi"}  \n');
    assert.equal(ok.status, 200);
  });

  test('#22 body null → 400 missing text', async () => {
    isError(await send(a, 'null'), 400, 'invalid_request', 'missing text');
    // null fields are absent
    isError(await msg(a, { from: 'alice', text: null }), 400, 'invalid_request', 'missing text');
    const r = await msg(a, { from: 'alice', text: 'Hi', channel: null, thread: null, session_id: null, content_parts: null });
    assert.equal(r.status, 200);
    assert.equal(r.json.session_id, 'http:dm:alice');
  });

  test('#23 keys are case-sensitive: FROM/TEXT → 400 missing text', async () => {
    isError(await msg(a, { FROM: 'alice', TEXT: 'Hi' }), 400, 'invalid_request', 'missing text');
    isError(await msg(a, { From: 'alice', text: 'Hi' }), 400, 'invalid_request', 'missing user_id or from');
  });

  test('#24 unknown keys are ignored → 200', async () => {
    const r = await msg(a, { from: 'alice', text: 'Hi', unknown: 1, nested: { deep: [1, 2] }, extensions: { x: 1 } });
    assert.equal(r.status, 200);
    assert.equal(r.json.reply, 'Echo: Hi');
  });

  test('#25 body of 12582913 bytes with Content-Length → 413 without reading it', async () => {
    const want = `request body exceeds max_body_bytes (${MAX} bytes)`;
    // only the head is sent: the answer must not wait for the body
    const r = await rawExchange(a.port, {
      write: (sock) => { sock.write(requestHead('POST', `${P}/messages`, { 'Content-Length': MAX + 1 })); },
    });
    isError(rawAnswer(r), 413, 'invalid_request', want);
    // and with the whole body sent (fetch)
    const f = await send(a, bodyOfSize(MAX + 1));
    isError(f, 413, 'invalid_request', want);
    // the same on the stream endpoint and on cancel
    const s = await rawExchange(a.port, {
      write: (sock) => { sock.write(requestHead('POST', `${P}/messages:stream`, { 'Content-Length': MAX + 1 })); },
    });
    isError(rawAnswer(s), 413, 'invalid_request', want);
    assert.equal(s.headers['content-type'], 'application/json');
    const c = await rawExchange(a.port, {
      write: (sock) => { sock.write(requestHead('POST', `${P}/cancel`, { 'Content-Length': MAX + 1 })); },
    });
    isError(rawAnswer(c), 413, 'invalid_request', want);
  });

  test('#25 body of 12582913 bytes chunked (no Content-Length) → 413', async () => {
    const want = `request body exceeds max_body_bytes (${MAX} bytes)`;
    const big = bodyOfSize(MAX + 1);
    const r = await rawExchange(a.port, {
      timeoutMs: 30_000,
      write: async (sock) => {
        await writeAll(sock, requestHead('POST', `${P}/messages`, { 'Transfer-Encoding': 'chunked' }));
        await writeChunked(sock, big, 64 * 1024, false); // the limit is passed before the last chunk is even announced
      },
    });
    isError(rawAnswer(r), 413, 'invalid_request', want);
    // one single huge chunk, terminated
    const r2 = await rawExchange(a.port, {
      timeoutMs: 30_000,
      write: async (sock) => {
        await writeAll(sock, requestHead('POST', `${P}/messages:stream`, { 'Transfer-Encoding': 'chunked' }));
        await writeChunked(sock, big, big.length, true);
      },
    });
    isError(rawAnswer(r2), 413, 'invalid_request', want);
  });

  test('#25 a body of exactly 12582912 bytes is not rejected for size (Content-Length and chunked)', async () => {
    const exact = bodyOfSize(MAX, 'exact');
    const f = await send(a, exact);
    assert.equal(f.status, 200, f.text.slice(0, 200));
    assert.equal(f.json.reply, 'Echo: exact');
    const r = await rawExchange(a.port, {
      timeoutMs: 30_000,
      write: async (sock) => {
        await writeAll(sock, requestHead('POST', `${P}/messages`, { 'Transfer-Encoding': 'chunked' }));
        await writeChunked(sock, exact, 100_000, true);
      },
    });
    assert.equal(r.status, 200, r.body.toString('utf8').slice(0, 200));
    assert.equal(parseJsonBody(r).reply, 'Echo: exact');
    // exactly max bytes that are not JSON: refused for decoding, not for size
    const junk = await send(a, Buffer.alloc(MAX, 0x7b));
    assert.equal(junk.status, 400);
    assert.match(junk.json.error.message, /^decode json: /);
  });

  test('#26 max body 64: 65 bytes → 413 (64 bytes); ≤ 64 → 200', async () => {
    const b65 = bodyOfSize(65, 'x');
    assert.equal(b65.length, 65);
    isError(await send(small, b65), 413, 'invalid_request', 'request body exceeds max_body_bytes (64 bytes)');
    const c65 = await rawExchange(small.port, {
      write: async (sock) => {
        await writeAll(sock, requestHead('POST', `${P}/messages`, { 'Transfer-Encoding': 'chunked' }));
        await writeChunked(sock, b65, 10, true);
      },
    });
    isError(rawAnswer(c65), 413, 'invalid_request', 'request body exceeds max_body_bytes (64 bytes)');
    isError(await send(small, b65, `${P}/messages:stream`), 413, 'invalid_request', 'request body exceeds max_body_bytes (64 bytes)');

    const b64 = bodyOfSize(64, 'x');
    const ok = await send(small, b64);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.reply, 'Echo: x');
    const c64 = await rawExchange(small.port, {
      write: async (sock) => {
        await writeAll(sock, requestHead('POST', `${P}/messages`, { 'Transfer-Encoding': 'chunked' }));
        await writeChunked(sock, b64, 10, true);
      },
    });
    assert.equal(c64.status, 200);
    const short = await msg(small, { from: 'alice', text: 'Hi' });
    assert.equal(short.status, 200);
    assert.equal(short.json.reply, 'Echo: Hi');
  });

  test('#27 model alias without a catalog → 200 (messages and stream)', async () => {
    const r = await msg(a, { from: 'alice', text: 'Hi', model: 'anything' });
    assert.equal(r.status, 200);
    assert.equal(r.json.reply, 'Echo: Hi');
    const res = await fetch(`${a.url}${P}/messages:stream`, { method: 'POST', body: JSON.stringify({ from: 'alice', text: 'Hi', model: 'anything' }) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const { events } = await readSse(res);
    assert.deepEqual(events.map((e) => e.event), ['run.started', 'run.progress', 'message.delta', 'message.completed', 'run.completed']);
    assert.equal(events[3].data.reply, 'Echo: Hi');
  });

  test('#27 model alias not in the catalog → 400 invalid_model (messages and stream); known alias → 200', async () => {
    const want = { error: { type: 'invalid_model', message: 'model "anything" is not available' } };
    const r = await msg(cat, { from: 'alice', text: 'Hi', model: 'anything' });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json, want);
    const s = await send(cat, JSON.stringify({ from: 'alice', text: 'Hi', model: 'anything' }), `${P}/messages:stream`);
    assert.equal(s.status, 400);
    assert.equal(s.headers.get('content-type'), 'application/json');
    assert.deepEqual(s.json, want);
    // trimmed before the check; case-sensitive
    const t = await msg(cat, { from: 'alice', text: 'Hi', model: '  M1 ' });
    assert.deepEqual(t.json, { error: { type: 'invalid_model', message: 'model "M1" is not available' } });

    const ok = await msg(cat, { from: 'alice', text: 'Hi', model: ' m1 ' });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.reply, 'Echo: Hi');
    const okS = await fetch(`${cat.url}${P}/messages:stream`, { method: 'POST', body: JSON.stringify({ from: 'alice', text: 'Hi', model: 'gpt-x' }) });
    assert.equal(okS.status, 200);
    const { events } = await readSse(okS);
    assert.equal(events.at(-1)?.event, 'run.completed');
    // blank model is "no model": not validated
    const blank = await msg(cat, { from: 'alice', text: 'Hi', model: '  ' });
    assert.equal(blank.status, 200);
    // the refused request got no run record, and its request_id stays free
    const refused = await msg(cat, { from: 'alice', text: 'Hi', model: 'nope', request_id: 'refused-27' });
    assert.equal(refused.status, 400);
    assert.equal((await fetch(`${cat.url}${P}/status?request_id=refused-27`)).status, 404);
    const reuse = await msg(cat, { from: 'bob', text: 'Hi', model: 'm1', request_id: 'refused-27' });
    assert.equal(reuse.status, 200);
    assert.equal(reuse.json.request_id, 'refused-27');
  });
});

describe('bad input', () => {
  test('invalid UTF-8 in the body → 400 decode json with a clear message', async () => {
    const pieces: [string, Buffer][] = [
      ['lone 0xff', Buffer.from([0xff])],
      ['overlong "/"', Buffer.from([0xc0, 0xaf])],
      ['UTF-16 surrogate', Buffer.from([0xed, 0xa0, 0x80])],
      ['truncated 3-byte sequence', Buffer.from([0xe2, 0x82])],
      ['continuation byte alone', Buffer.from([0x80])],
    ];
    for (const [label, bytes] of pieces) {
      const body = Buffer.concat([Buffer.from('{"from":"alice","text":"Hi '), bytes, Buffer.from('"}')]);
      const r = await send(bad, body);
      isError(r, 400, 'invalid_request', /^decode json: .*UTF-8/);
      assert.ok(r.json.error.message.length < 200, `${label}: a short message`);
    }
    // invalid UTF-8 in a key, and at the very end of the body
    isError(await send(bad, Buffer.concat([Buffer.from('{"fr'), Buffer.from([0xfe]), Buffer.from('om":"alice","text":"Hi"}')])), 400, 'invalid_request', /^decode json: .*UTF-8/);
    isError(await send(bad, Buffer.concat([Buffer.from('{"from":"alice","text":"Hi"}'), Buffer.from([0xc3])])), 400, 'invalid_request', /^decode json: .*UTF-8/);
    // valid multi-byte text is fine and echoed intact
    const ok = await msg(bad, { from: 'alice', text: 'héllo 🦀 日本' });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.reply, 'Echo: héllo 🦀 日本');
  });

  test('deeply nested bodies → 400 decode json, no crash', async () => {
    for (const body of ['['.repeat(100_000), '{"a":'.repeat(100_000), `${'['.repeat(100_000)}${']'.repeat(100_000)}`]) {
      isError(await send(bad, body), 400, 'invalid_request', /^decode json: /);
    }
    // nesting inside an otherwise valid message
    const nested = `{"from":"alice","text":"Hi","extensions":{"x":${'['.repeat(2000)}${']'.repeat(2000)}}}`;
    isError(await send(bad, nested), 400, 'invalid_request', /^decode json: /);
    // the same on the stream and cancel endpoints
    isError(await send(bad, '['.repeat(100_000), `${P}/messages:stream`), 400, 'invalid_request', /^decode json: /);
    isError(await send(bad, '['.repeat(100_000), `${P}/cancel`), 400, 'invalid_request', /^decode json: /);
    // brackets inside strings are not nesting
    const inString = await msg(bad, { from: 'alice', text: `Hi ${'['.repeat(100_000)}` });
    assert.equal(inString.status, 200);
    assert.equal(inString.json.reply, `Echo: Hi ${'['.repeat(100_000)}`);
    // an escaped quote does not end the string; an escaped backslash before the closing quote does
    const escaped = await msg(bad, { from: 'alice', text: `q"${'{'.repeat(1000)}\\` });
    assert.equal(escaped.status, 200);
    assert.equal(escaped.json.reply, `Echo: q"${'{'.repeat(1000)}\\`);
    const afterBackslash = `{"from":"alice","text":"x\\\\","extensions":{"y":${'['.repeat(600)}${']'.repeat(600)}}}`;
    assert.doesNotThrow(() => JSON.parse(afterBackslash.replace(/\[{600}/, '[').replace(/\]{600}/, ']')));
    isError(await send(bad, afterBackslash), 400, 'invalid_request', /^decode json: /);
    // moderate nesting is still plain JSON
    const moderate = await send(bad, `{"from":"alice","text":"Hi","extensions":{"x":${'['.repeat(100)}${']'.repeat(100)}}}`);
    assert.equal(moderate.status, 200);
  });

  test('slowloris: Content-Length 100 with 10 bytes sent → 400 read request body; others are served meanwhile', async () => {
    const slow = rawExchange(bad.port, {
      timeoutMs: 10_000,
      write: (sock) => { sock.write(`${requestHead('POST', `${P}/messages`, { 'Content-Length': 100 })}{"from":"a`); },
    });
    const slowChunked = rawExchange(bad.port, {
      timeoutMs: 10_000,
      write: (sock) => { sock.write(`${requestHead('POST', `${P}/messages:stream`, { 'Transfer-Encoding': 'chunked' })}a\r\n{"from":"a`); },
    });
    // others are served while the slow bodies are pending
    const during = await Promise.all([1, 2, 3].map((i) => msg(bad, { from: `other${i}`, text: `during ${i}` })));
    for (const [i, r] of during.entries()) {
      assert.equal(r.status, 200);
      assert.equal(r.json.reply, `Echo: during ${i + 1}`);
    }
    const [s1, s2] = await Promise.all([slow, slowChunked]);
    isError(rawAnswer(s1), 400, 'invalid_request', /^read request body: ./);
    isError(rawAnswer(s2), 400, 'invalid_request', /^read request body: ./);
    assert.equal(s1.headers['content-type'], 'application/json');
    const afterwards = await msg(bad, { from: 'other', text: 'after' });
    assert.equal(afterwards.status, 200);
  });

  test('a client that abandons a partial body does not disturb the gateway', async () => {
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve, reject) => {
        const sock = connect(bad.port, '127.0.0.1', () => {
          sock.write(`${requestHead('POST', `${P}/messages`, { 'Content-Length': 1000 })}{"from":"alice","te`, () => {
            sock.destroy();
            resolve();
          });
        });
        sock.on('error', reject);
      });
    }
    const r = await msg(bad, { from: 'alice', text: 'still here' });
    assert.equal(r.status, 200);
    assert.equal(r.json.reply, 'Echo: still here');
  });

  test('after all the bad input the session still runs a normal message', async () => {
    const r = await msg(bad, { from: 'alice', text: 'Hello', request_id: 'bad-input-final' });
    assert.deepEqual(r.json, { session_id: 'http:dm:alice', request_id: 'bad-input-final', reply: 'Echo: Hello' });
    const st = await fetch(`${bad.url}${P}/status?request_id=bad-input-final`).then((x) => x.json());
    assert.equal(st.state, 'completed');
    const h = await fetch(`${bad.url}/healthz`);
    assert.equal(h.status, 200);
  });
});
