import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { RunError, type Runner } from '../../../src/core/run.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { rawExchange, requestHead, writeAll, writeChunked, type RawResponse } from '../../helpers/raw-http.js';

// http-gateway.md §13 items 1–6: routing, 404/405, error body shape, no CORS, JSON Content-Type.
// Everything is asserted from outside against real gateways on ephemeral ports.

const P = '/v1/gateway';
const TOKEN = 'routing-test-token-0123456789abcdef0123';
/** A browser origin the gateways allow (a foreign one is refused 403 before anything else, issue 6). */
const ORIGIN = 'https://app.example';

/** Echoes like the mock, but fails the run when the text is `fail` (for a 500). */
const echoOrFail: Runner = {
  async *run(input) {
    if (input.text === 'fail') throw new RunError('model exploded', 'stream_error');
    yield { type: 'delta', text: `Echo: ${input.text}` };
  },
};

let a: TestGateway; // Setup A: mock, no allowlist, no gating, no token
let s: TestGateway; // token, allowlist u1, model catalog, small body limit, a runner that can fail

interface Seen {
  label: string;
  status: number;
  headers: Headers;
  text: string;
}

/** Every response seen in this file, for the "any response kind" checks (items 5 and 6). */
const seen: Seen[] = [];

async function call(label: string, base: string, path: string, init: RequestInit = {}): Promise<Seen> {
  const headers = new Headers(init.headers);
  if (!headers.has('origin')) headers.set('Origin', ORIGIN); // tempt a CORS answer
  const res = await fetch(base + path, { ...init, headers });
  const out = { label, status: res.status, headers: res.headers, text: await res.text() };
  seen.push(out);
  return out;
}

const auth = { Authorization: `Bearer ${TOKEN}` };
const post = (label: string, base: string, path: string, body: string, headers: Record<string, string> = {}) =>
  call(label, base, path, { method: 'POST', body, headers });

function assertJsonError(r: { status: number; text: string }, status: number, type: string, message?: string | RegExp): void {
  assert.equal(r.status, status, `status of ${r.text}`);
  const body = JSON.parse(r.text);
  assert.deepEqual(Object.keys(body), ['error'], `exactly one top-level key in ${r.text}`);
  assert.deepEqual(Object.keys(body.error).sort(), ['message', 'type'], `error has exactly type and message in ${r.text}`);
  assert.equal(typeof body.error.type, 'string');
  assert.equal(typeof body.error.message, 'string');
  assert.equal(body.error.type, type);
  if (typeof message === 'string') assert.equal(body.error.message, message);
  else if (message) assert.match(body.error.message, message);
}

const rawSeen: { label: string; res: RawResponse }[] = [];

async function raw(label: string, port: number, request: string | ((sock: Socket) => Promise<unknown>), head = false): Promise<RawResponse> {
  const res = await rawExchange(port, {
    head,
    write: typeof request === 'string' ? (sock) => { sock.write(request); } : (sock) => request(sock).then(() => {}),
  });
  rawSeen.push({ label, res });
  return res;
}

before(async () => {
  a = await startTestGateway({ allowedOrigins: [ORIGIN] });
  s = await startTestGateway(
    { token: TOKEN, allowUsers: ['u1'], modelCatalog: ['m1'], maxBodyBytes: 1024, allowedOrigins: [ORIGIN] },
    { runner: echoOrFail },
  );
});

after(async () => {
  await a?.close();
  await s?.close();
});

describe('routing and errors', () => {
  test('#1 GET /healthz → 200 application/json {"status":"ok"}', async () => {
    const r = await call('healthz', a.url, '/healthz');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.deepEqual(JSON.parse(r.text), { status: 'ok' });
    // open even when a token is configured
    const r2 = await call('healthz (token gateway)', s.url, '/healthz');
    assert.equal(r2.status, 200);
    assert.deepEqual(JSON.parse(r2.text), { status: 'ok' });
  });

  test('#2 POST /healthz → 405, Allow: GET, JSON method_not_allowed', async () => {
    const r = await post('POST /healthz', a.url, '/healthz', '{}');
    assertJsonError(r, 405, 'method_not_allowed', 'method not allowed');
    assert.equal(r.headers.get('allow'), 'GET');
  });

  test('#3 unknown paths → 404 JSON not_found', async () => {
    for (const [method, path] of [
      ['GET', '/nope'], ['GET', '/healthz/x'], ['POST', `${P}/messages/x`], ['GET', `${P}/`], ['GET', `${P}/Status`],
      ['GET', `${P}//status`], ['GET', '/webchatx'], ['POST', `${P}/messages:streamx`], ['DELETE', '/nope'],
    ] as const) {
      const r = await call(`${method} ${path}`, a.url, path, { method, ...(method === 'POST' ? { body: '{}' } : {}) });
      assertJsonError(r, 404, 'not_found');
      assert.equal(r.headers.get('allow'), null, `no Allow on a 404 (${method} ${path})`);
    }
    // the query string is not part of the path
    const q = await call('GET /healthz?x=1', a.url, '/healthz?x=1');
    assert.equal(q.status, 200);
  });

  test('#4 wrong method on data-plane paths → 405 with Allow', async () => {
    const cases: [string, string, string][] = [
      ['GET', `${P}/messages`, 'POST'],
      ['GET', `${P}/messages:stream`, 'POST'],
      ['PUT', `${P}/cancel`, 'POST'],
      ['OPTIONS', `${P}/messages`, 'POST'],
      ['DELETE', `${P}/messages`, 'POST'],
      ['PATCH', `${P}/messages:stream`, 'POST'],
      ['POST', `${P}/status`, 'GET'],
      ['DELETE', `${P}/status`, 'GET'],
      ['OPTIONS', '/healthz', 'GET'],
    ];
    for (const [method, path, allow] of cases) {
      const r = await call(`${method} ${path}`, a.url, path, { method, ...(method === 'GET' || method === 'OPTIONS' ? {} : { body: '{}' }) });
      assertJsonError(r, 405, 'method_not_allowed', 'method not allowed');
      assert.equal(r.headers.get('allow'), allow, `Allow for ${method} ${path}`);
      assert.equal(r.headers.get('content-type'), 'application/json');
    }
  });

  test('#4 a CORS preflight (OPTIONS with Origin and Access-Control-Request-Method) → 405, Allow: POST, no CORS', async () => {
    const r = await call('preflight', a.url, `${P}/messages`, {
      method: 'OPTIONS',
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,authorization' },
    });
    assertJsonError(r, 405, 'method_not_allowed');
    assert.equal(r.headers.get('allow'), 'POST');
    // also on the token gateway: the method check answers, not the auth check
    const r2 = await call('preflight (token)', s.url, `${P}/messages`, { method: 'OPTIONS', headers: { 'Access-Control-Request-Method': 'POST' } });
    assertJsonError(r2, 405, 'method_not_allowed');
    assert.equal(r2.headers.get('allow'), 'POST');
  });

  test('#4 HEAD → 405 with Allow (data plane and /healthz)', async () => {
    for (const [path, allow] of [[`${P}/messages`, 'POST'], [`${P}/status`, 'GET'], ['/healthz', 'GET']]) {
      const r = await call(`HEAD ${path}`, a.url, path, { method: 'HEAD' });
      assert.equal(r.status, 405, `HEAD ${path}`);
      assert.equal(r.headers.get('allow'), allow, `Allow for HEAD ${path}`);
      assert.equal(r.text, '');
    }
  });

  test('#4 HEAD → 405 carries no body on the wire (the connection stays usable)', async () => {
    // Pipelined on one connection: HEAD, then GET. A HEAD response must not carry content (RFC 9110 §9.3.2),
    // so the bytes right after the HEAD response's header block must be the GET's status line.
    const all: Buffer[] = [];
    const text = await new Promise<string>((resolve, reject) => {
      const sock = connect(a.port, '127.0.0.1');
      const timer = setTimeout(() => { sock.destroy(); reject(new Error('no close within 5 s')); }, 5000);
      sock.on('data', (d) => all.push(d));
      sock.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(all).toString('latin1')); });
      sock.on('error', () => {});
      sock.write(requestHead('HEAD', '/healthz') + requestHead('GET', '/healthz', { Connection: 'close' }));
    });
    const firstHeadEnd = text.indexOf('\r\n\r\n');
    assert.ok(firstHeadEnd > 0, `a response head in ${JSON.stringify(text)}`);
    assert.match(text.slice(0, 40), /^HTTP\/1\.1 405/);
    const afterHead = text.slice(firstHeadEnd + 4);
    assert.match(afterHead.slice(0, 20), /^HTTP\/1\.1 200/, `the GET's response must follow the HEAD's head directly, got ${JSON.stringify(afterHead.slice(0, 120))}`);
  });

  test('#5 every error body has exactly one key "error" with string type and message', async () => {
    const body = (o: unknown) => JSON.stringify(o);
    // Setup A
    assertJsonError(await post('400 decode', a.url, `${P}/messages`, '{not json'), 400, 'invalid_request', /^decode json: /);
    assertJsonError(await post('400 EOF', a.url, `${P}/messages`, ''), 400, 'invalid_request', 'decode json: EOF');
    assertJsonError(await post('400 missing text', a.url, `${P}/messages`, body({ from: 'alice' })), 400, 'invalid_request', 'missing text');
    assertJsonError(await post('400 part', a.url, `${P}/messages`, body({ from: 'alice', content_parts: [{ type: 'bogus' }] })),
      400, 'invalid_request', 'content_parts[0]: unsupported content part type');
    assertJsonError(await call('400 status', a.url, `${P}/status`), 400, 'invalid_request', 'missing request_id');
    assertJsonError(await post('400 cancel', a.url, `${P}/cancel`, '{}'), 400, 'invalid_request', 'missing request_id');
    assertJsonError(await call('404 status', a.url, `${P}/status?request_id=nope`), 404, 'not_found');
    assertJsonError(await call('404 path', a.url, '/nope'), 404, 'not_found');
    assertJsonError(await call('405', a.url, `${P}/messages`), 405, 'method_not_allowed');
    // stream validation failures are plain JSON errors too
    assertJsonError(await post('400 stream', a.url, `${P}/messages:stream`, body({ text: 'x' })), 400, 'invalid_request', 'missing user_id or from');
    // 409: a completed request_id re-sent from another session
    const ok = await post('200 r-route-1', a.url, `${P}/messages`, body({ from: 'alice', text: 'Hi', request_id: 'r-route-1' }));
    assert.equal(ok.status, 200);
    assertJsonError(await post('409', a.url, `${P}/messages`, body({ from: 'bob', text: 'Hi', request_id: 'r-route-1' })), 409, 'conflict');

    // token / allowlist / catalog / small-limit gateway
    assertJsonError(await post('401 no auth', s.url, `${P}/messages`, body({ from: 'u1', text: 'x' })), 401, 'unauthorized');
    assertJsonError(await post('401 wrong auth', s.url, `${P}/messages`, body({ from: 'u1', text: 'x' }), { Authorization: `Bearer ${TOKEN}x` }), 401, 'unauthorized');
    assertJsonError(await call('401 status', s.url, `${P}/status?request_id=x`), 401, 'unauthorized');
    assertJsonError(await post('403', s.url, `${P}/messages`, body({ from: 'u2', text: 'x' }), auth), 403, 'unauthorized', 'user is not allowed');
    assertJsonError(await post('400 model', s.url, `${P}/messages`, body({ from: 'u1', text: 'x', model: 'zz' }), auth),
      400, 'invalid_model', 'model "zz" is not available');
    assertJsonError(await post('413', s.url, `${P}/messages`, body({ from: 'u1', text: 'x'.repeat(2000) }), auth),
      413, 'invalid_request', 'request body exceeds max_body_bytes (1024 bytes)');
    assertJsonError(await post('500', s.url, `${P}/messages`, body({ from: 'u1', text: 'fail' }), auth), 500, 'internal_error', 'model exploded');
    const good = await post('200 (token)', s.url, `${P}/messages`, body({ from: 'u1', text: 'ok' }), auth);
    assert.equal(good.status, 200, good.text);

    // 413 for a chunked body (no Content-Length), on the raw wire
    const chunked = await raw('413 chunked', s.port, async (sock) => {
      await writeAll(sock, requestHead('POST', `${P}/messages`, { 'Transfer-Encoding': 'chunked', Authorization: `Bearer ${TOKEN}`, Origin: ORIGIN }));
      await writeChunked(sock, Buffer.alloc(1025, 0x20), 100, false);
    });
    assertJsonError({ status: chunked.status, text: chunked.body.toString('utf8') }, 413, 'invalid_request', 'request body exceeds max_body_bytes (1024 bytes)');
    // a partial body that times out would need a long wait here; http-messages covers `read request body: …`

    // Whatever we saw that was an error had the shape
    for (const r of seen.filter((x) => x.status >= 400)) {
      if (r.label.startsWith('HEAD ')) continue; // HEAD responses carry no body
      assertJsonError(r, r.status, JSON.parse(r.text).error.type);
    }
  });

  test('#6 no response carries CORS headers (JSON, errors, SSE, preflight, HEAD, raw)', async () => {
    // an SSE response and an ignored-free success, with an Origin header
    const sse = await call('sse', a.url, `${P}/messages:stream`, { method: 'POST', body: JSON.stringify({ from: 'alice', text: 'cors?' }) });
    assert.equal(sse.status, 200);
    assert.equal(sse.headers.get('content-type'), 'text/event-stream');
    await call('status 200', a.url, `${P}/status?request_id=r-route-1`);
    await call('cancel 200', a.url, `${P}/cancel`, { method: 'POST', body: '{"request_id":"r-route-1"}' });
    await call('/health', a.url, '/health');
    await call('/ready', a.url, '/ready');
    await raw('raw preflight', a.port, requestHead('OPTIONS', `${P}/messages`, { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST', Connection: 'close' }));
    await raw('raw 413 by Content-Length', a.port, requestHead('POST', `${P}/messages`, { Origin: ORIGIN, 'Content-Length': 12582913 }));
    await raw('raw HEAD', a.port, requestHead('HEAD', '/healthz', { Origin: ORIGIN, Connection: 'close' }), true);

    const kinds = new Set<number>();
    for (const r of seen) {
      kinds.add(r.status);
      for (const [name] of r.headers) {
        assert.ok(!name.toLowerCase().startsWith('access-control-'), `${r.label}: unexpected CORS header ${name}`);
        assert.notEqual(name.toLowerCase(), 'vary', `${r.label}: Vary suggests CORS handling`);
      }
    }
    for (const { label, res } of rawSeen) {
      kinds.add(res.status);
      for (const name of res.headerNames) assert.ok(!name.startsWith('access-control-'), `${label}: unexpected CORS header ${name}`);
    }
    // the sweep covered the response kinds it claims to cover
    for (const status of [200, 400, 401, 403, 404, 405, 409, 413, 500]) assert.ok(kinds.has(status), `saw a ${status}`);
  });

  test('#1/#5 data-plane JSON has Content-Type exactly application/json, once', async () => {
    const jsonResponses = seen.filter((r) => r.label !== 'sse' && !r.label.startsWith('HEAD ') && r.label !== '/health' && r.label !== '/ready');
    assert.ok(jsonResponses.length > 20);
    for (const r of jsonResponses) {
      assert.equal(r.headers.get('content-type'), 'application/json', `${r.label}: Content-Type`);
    }
    for (const { label, res } of rawSeen) {
      if (res.status === 200 && res.headers['content-type'] === 'text/event-stream') continue;
      assert.equal(res.headerNames.filter((n) => n === 'content-type').length, 1, `${label}: one Content-Type`);
      assert.equal(res.headers['content-type'], 'application/json', `${label}: Content-Type`);
    }
    // a successful /messages answer on the raw wire: exactly one Content-Type, no charset
    const body = JSON.stringify({ from: 'alice', text: 'raw' });
    const r = await raw('raw 200', a.port, requestHead('POST', `${P}/messages`, { 'Content-Length': Buffer.byteLength(body), Connection: 'close' }) + body);
    assert.equal(r.status, 200);
    assert.deepEqual(r.headerNames.filter((n) => n === 'content-type'), ['content-type']);
    assert.equal(r.headers['content-type'], 'application/json');
  });
});
