import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import WebSocket from 'ws';
import { startServer, type ListeningServer } from '../../src/transport/server.js';
import { Router } from '../../src/transport/router.js';
import { Lifecycle } from '../../src/transport/lifecycle.js';
import { json } from '../../src/transport/http-types.js';
import type { WsEndpoint, WsSocket } from '../../src/transport/ws-endpoint.js';
import { rawExchange, requestHead } from '../helpers/raw-http.js';

// The transport on its own, on an ephemeral loopback port, asserted from outside: a static directory and a
// prefix route, path traversal, HEAD and revalidation, WebSocket endpoints on any path, lifecycle hooks.

const SECRET = 'TOP SECRET: outside the static root';
const log = pino({ level: 'silent' });
const warnings = { warn: () => {} };
const WAIT_MS = 5_000;

let dir: string;
let server: ListeningServer;
let base: string;
const opened: string[] = [];

/** An endpoint that answers each message with `<name>:<rest>:<text>`. */
function echo(name: string, maxPayload = 1024): WsEndpoint<string, WsSocket> {
  return {
    maxPayload,
    upgrade: (req) => (req.header('x-refuse') ? { refuse: { status: 429, type: 'busy', message: 'go away' } } : { accept: req.rest }),
    open: (socket, rest) => {
      opened.push(`${name}:${rest}`);
      return Object.assign(socket, { rest });
    },
    message: (socket, text) => socket.send(`${name}:${(socket as WsSocket & { rest: string }).rest}:${text}`),
    close: () => {},
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'clawgate-transport-'));
  const site = join(dir, 'site');
  mkdirSync(join(site, 'sub'), { recursive: true });
  mkdirSync(join(dir, 'outside'));
  writeFileSync(join(site, 'index.html'), '<!doctype html><h1>home</h1>');
  writeFileSync(join(site, 'app.js'), 'console.log("app");');
  writeFileSync(join(site, 'style.css'), 'h1 { color: red }');
  writeFileSync(join(site, 'data.bin'), Buffer.from([0, 1, 2, 3]));
  writeFileSync(join(site, 'sub', 'index.html'), '<h1>sub</h1>');
  writeFileSync(join(site, '.env'), SECRET);
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  writeFileSync(join(dir, 'outside', 'secret.txt'), SECRET);
  symlinkSync(join(dir, 'secret.txt'), join(site, 'escape.txt'));
  symlinkSync(join(dir, 'outside'), join(site, 'escape-dir'));
  symlinkSync(join(site, 'app.js'), join(site, 'inside-link.js'));
  utimesSync(join(site, 'index.html'), new Date('2024-01-02T03:04:05Z'), new Date('2024-01-02T03:04:05Z'));

  const router = new Router()
    .static('/static', site)
    .route('/api/echo/exact', { method: 'GET', readsBody: false, handle: () => json(200, { exact: true }) })
    .prefix('/api/echo', { method: 'GET', readsBody: false, handle: (req) => json(200, { path: req.path, rest: req.rest, q: req.query.get('q') }) })
    .ws('/live', echo('live'))
    .ws('/', echo('fallback'), { prefix: true });
  server = await startServer({
    bind: '127.0.0.1', port: 0, router, maxBodyBytes: 1024, bodyTimeoutMs: 5_000, log, warnings,
    guard: ({ origin }) => (origin === 'http://evil.example' ? { reason: 'origin', message: 'origin not allowed' } : undefined),
  });
  base = `http://127.0.0.1:${server.port}`;
});

after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A GET of a raw request target (fetch would normalize `..` and friends away). */
const rawGet = (target: string, headers: Record<string, string> = {}, method = 'GET') =>
  rawExchange(server.port, { head: method === 'HEAD', timeoutMs: WAIT_MS, write: (s) => { s.write(requestHead(method, target, { Connection: 'close', ...headers })); } });

describe('static files', () => {
  test('a file from the temp directory, with its content type and validators', async () => {
    const res = await fetch(`${base}/static/index.html`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(await res.text(), '<!doctype html><h1>home</h1>');
    assert.equal(res.headers.get('last-modified'), 'Tue, 02 Jan 2024 03:04:05 GMT');
    assert.match(res.headers.get('etag') ?? '', /^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    for (const [path, type] of [['app.js', 'text/javascript; charset=utf-8'], ['style.css', 'text/css; charset=utf-8'],
      ['data.bin', 'application/octet-stream'], ['inside-link.js', 'text/javascript; charset=utf-8']]) {
      const r = await fetch(`${base}/static/${path}`);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers.get('content-type'), type, path);
      await r.arrayBuffer();
    }
    assert.deepEqual(new Uint8Array(await (await fetch(`${base}/static/data.bin`)).arrayBuffer()), new Uint8Array([0, 1, 2, 3]));
  });

  test('a directory serves its index.html; without the trailing slash it redirects to it', async () => {
    for (const [path, body] of [['/static/', 'home'], ['/static/sub/', 'sub']]) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 200, path);
      assert.match(await res.text(), new RegExp(body), path);
    }
    for (const [target, location] of [['/static', '/static/'], ['/static/sub?x=1', '/static/sub/?x=1']]) {
      const res = await rawGet(target);
      assert.equal(res.status, 301, target);
      assert.equal(res.headers.location, location, target);
    }
  });

  test('HEAD: the headers of the GET, no body; other methods 405 with Allow', async () => {
    const res = await rawGet('/static/app.js', {}, 'HEAD');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(res.headers['content-length'], String('console.log("app");'.length), 'the size of the GET');
    assert.ok(res.headers.etag);
    const viaFetch = await fetch(`${base}/static/app.js`, { method: 'HEAD' });
    assert.equal(viaFetch.status, 200);
    assert.equal(await viaFetch.text(), '');
    const post = await fetch(`${base}/static/app.js`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    // a JSON route still refuses HEAD (it did not ask for it)
    assert.equal((await rawGet('/api/echo/exact', {}, 'HEAD')).status, 405);
  });

  test('revalidation: a matching If-None-Match or If-Modified-Since gets 304 without a body', async () => {
    const first = await fetch(`${base}/static/index.html`);
    await first.text();
    const etag = first.headers.get('etag')!;
    const byTag = await rawGet('/static/index.html', { 'If-None-Match': etag });
    assert.equal(byTag.status, 304);
    assert.equal(byTag.headers.etag, etag);
    assert.equal(byTag.body.length, 0);
    assert.equal((await rawGet('/static/index.html', { 'If-None-Match': `"other", ${etag.slice(2)}` })).status, 304, 'weak comparison, list');
    assert.equal((await rawGet('/static/index.html', { 'If-None-Match': '"other"' })).status, 200);
    assert.equal((await rawGet('/static/index.html', { 'If-Modified-Since': 'Tue, 02 Jan 2024 03:04:05 GMT' })).status, 304);
    assert.equal((await rawGet('/static/index.html', { 'If-Modified-Since': 'Tue, 02 Jan 2024 03:04:04 GMT' })).status, 200);
  });

  test('traversal is impossible: dot segments raw or encoded, backslashes, NUL, dotfiles, symlinks out of the root', async () => {
    // the secret is really there, one level above the root (so a leak would be seen)
    const attempts = [
      '/static/../secret.txt', '/static/a/../../secret.txt', '/static/%2e%2e/secret.txt', '/static/%2E%2E/secret.txt',
      '/static/%2e%2e%2fsecret.txt', '/static/..%2fsecret.txt', '/static/..%2F..%2Fsecret.txt', '/static/..%5csecret.txt',
      '/static/%5c..%5csecret.txt', '/static/..\\secret.txt', '/static/%252e%252e/secret.txt', '/static/index.html%00.txt',
      '/static/.env', '/static/%2eenv', '/static/escape.txt', '/static/escape-dir/secret.txt', '/static/escape-dir/',
      '/static//' + join(dir, 'secret.txt').slice(1), '/static/%2f' + encodeURIComponent(join(dir, 'secret.txt').slice(1)),
      '/static/%', '/static/%E0%A4%A',
    ];
    for (const target of attempts) {
      const res = await rawGet(target);
      assert.ok([400, 403, 404].includes(res.status), `${target}: status ${res.status}`);
      assert.ok(!res.body.toString('latin1').includes('TOP SECRET'), `${target} leaked the file`);
    }
    // and the files next to them still come
    assert.equal((await rawGet('/static/sub/../index.html')).status, 404, 'no dot segments at all, even inside the root');
    assert.equal((await rawGet('/static/inside-link.js')).status, 200, 'a symlink inside the root is served');
  });

  test('the Host / Origin guard applies to static files like to every route', async () => {
    const res = await fetch(`${base}/static/index.html`, { headers: { Origin: 'http://evil.example' } });
    assert.equal(res.status, 403);
    assert.ok(!(await res.text()).includes('home'));
  });
});

describe('prefix routes', () => {
  test('a prefix route gets the rest of the path; an exact route on the same prefix wins', async () => {
    const got = async (path: string) => {
      const res = await fetch(`${base}${path}`);
      return { status: res.status, json: await res.json() };
    };
    assert.deepEqual(await got('/api/echo/a/b%20c?q=1'), { status: 200, json: { path: '/api/echo/a/b%20c', rest: '/a/b%20c', q: '1' } });
    assert.deepEqual(await got('/api/echo'), { status: 200, json: { path: '/api/echo', rest: '', q: null } });
    assert.deepEqual(await got('/api/echo/exact'), { status: 200, json: { exact: true } });
    assert.equal((await got('/api/echoes')).status, 404);
    assert.equal((await got('/nothing/here')).status, 404);
  });
});

/** Opens a WebSocket, sends one message, resolves with the answer (or the refusal status). */
function wsExchange(path: string, text: string, headers: Record<string, string> = {}): Promise<{ answer?: string; status?: number; close?: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`, { headers, perMessageDeflate: false });
    const timer = setTimeout(() => { ws.terminate(); reject(new Error(`no answer on ${path} within ${WAIT_MS} ms`)); }, WAIT_MS);
    const done = (v: { answer?: string; status?: number; close?: number }) => { clearTimeout(timer); ws.terminate(); resolve(v); };
    ws.on('unexpected-response', (_req, res) => done({ status: res.statusCode }));
    ws.on('open', () => ws.send(text));
    ws.on('message', (data) => done({ answer: data.toString() }));
    ws.on('close', (code) => done({ close: code }));
    ws.on('error', () => { /* the close or the response decides */ });
  });
}

describe('WebSocket endpoints', () => {
  test('an upgrade on a registered non-root path reaches its endpoint; other paths the prefix endpoint', async () => {
    assert.deepEqual(await wsExchange('/live', 'hi'), { answer: 'live::hi' });
    assert.deepEqual(await wsExchange('/elsewhere/x?y=1', 'yo'), { answer: 'fallback:/elsewhere/x:yo' });
    assert.deepEqual(await wsExchange('/static/index.html', 'ws'), { answer: 'fallback:/static/index.html:ws' }, 'HTTP routes do not take upgrades');
    assert.ok(opened.includes('live:'));
  });

  test('the endpoint refuses with its own status; the guard refuses 403; a message over maxPayload closes 1009', async () => {
    assert.deepEqual(await wsExchange('/live', 'hi', { 'X-Refuse': '1' }), { status: 429 });
    assert.deepEqual(await wsExchange('/live', 'hi', { Origin: 'http://evil.example' }), { status: 403 });
    assert.deepEqual(await wsExchange('/live', 'x'.repeat(1025)), { close: 1009 });
  });

  test('without a catch-all endpoint an unclaimed path is refused 404', async () => {
    const router = new Router().ws('/only', echo('only'));
    const other = await startServer({ bind: '127.0.0.1', port: 0, router, maxBodyBytes: 1024, bodyTimeoutMs: 5_000, log, warnings });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${other.port}/elsewhere`);
        const timer = setTimeout(() => reject(new Error('no answer')), WAIT_MS);
        ws.on('unexpected-response', (_req, res) => { clearTimeout(timer); resolve(res.statusCode ?? 0); ws.terminate(); });
        ws.on('open', () => { clearTimeout(timer); resolve(101); ws.terminate(); });
        ws.on('error', () => {});
      });
      assert.equal(status, 404);
    } finally {
      await other.close();
    }
  });
});

describe('lifecycle hooks', () => {
  test('onListen gets the bound port before startServer resolves; onClose runs once, after the port is released', async () => {
    const events: string[] = [];
    const lifecycle = new Lifecycle()
      .onListen((port) => { events.push(`listen:${port}`); })
      .onListen(async () => { events.push('listen:second'); })
      .onClose(() => { throw new Error('a failing close hook'); })
      .onClose(async () => { events.push(`close:${await canConnect(port)}`); });
    const router = new Router().route('/x', { method: 'GET', readsBody: false, handle: () => json(200, {}) });
    const s = await startServer({ bind: '127.0.0.1', port: 0, router, lifecycle, maxBodyBytes: 1024, bodyTimeoutMs: 5_000, log, warnings });
    const port = s.port;
    assert.deepEqual(events, [`listen:${port}`, 'listen:second']);
    assert.throws(() => lifecycle.onListen(() => {}), /before the server listens/);
    await s.close();
    await s.close();
    assert.deepEqual(events, [`listen:${port}`, 'listen:second', 'close:false'], 'the other close hook ran despite the failing one');
  });

  test('a failing onListen hook fails the start and releases the port', async () => {
    let bound = 0;
    const lifecycle = new Lifecycle().onListen((port) => { bound = port; throw new Error('not today'); });
    await assert.rejects(startServer({ bind: '127.0.0.1', port: 0, router: new Router(), lifecycle, maxBodyBytes: 1024, bodyTimeoutMs: 5_000, log, warnings }), /not today/);
    assert.ok(bound > 0);
    assert.equal(await canConnect(bound), false);
  });
});

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    const timer = setTimeout(() => { sock.destroy(); resolve(false); }, WAIT_MS);
    sock.on('connect', () => { clearTimeout(timer); sock.destroy(); resolve(true); });
    sock.on('error', () => { clearTimeout(timer); resolve(false); });
  });
}
