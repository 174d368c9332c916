import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from '../../src/transport/router.js';
import { safeSegments } from '../../src/transport/static-files.js';
import { json, type Route } from '../../src/transport/http-types.js';
import type { WsEndpoint } from '../../src/transport/ws-endpoint.js';

// The routing table: exact paths first, then the longest prefix; a prefix owns itself and what is below
// it. Pure, no sockets (the served behaviour is in server.test.ts).

const route = (name: string): Route => ({ method: 'GET', readsBody: false, handle: () => json(200, { name }) });
const endpoint = (maxPayload: number): WsEndpoint => ({
  maxPayload, upgrade: () => ({ accept: undefined }), open: () => undefined, message: () => {}, close: () => {},
});

test('exact beats prefix, the longest prefix wins, and a prefix never matches a longer name', () => {
  const a = route('a'), b = route('b'), c = route('c'), all = route('all');
  const r = new Router().route('/app/exact', a).prefix('/app', b).prefix('/app/deep/', c).prefix('/', all);
  const at = (path: string) => {
    const m = r.matchRoute(path);
    return m && { target: m.target === a ? 'a' : m.target === b ? 'b' : m.target === c ? 'c' : 'all', rest: m.rest };
  };
  assert.deepEqual(at('/app/exact'), { target: 'a', rest: '' });
  assert.deepEqual(at('/app'), { target: 'b', rest: '' });
  assert.deepEqual(at('/app/'), { target: 'b', rest: '/' });
  assert.deepEqual(at('/app/x/y.js'), { target: 'b', rest: '/x/y.js' });
  assert.deepEqual(at('/app/deep'), { target: 'c', rest: '' });
  assert.deepEqual(at('/app/deep/z'), { target: 'c', rest: '/z' });
  assert.deepEqual(at('/apple'), { target: 'all', rest: '/apple' }, "'/app' does not own '/apple'");
  assert.deepEqual(at('/'), { target: 'all', rest: '/' });
  assert.equal(new Router().route('/x', a).matchRoute('/y'), undefined);
});

test('upgrades are a separate table; registrations are checked and closed once the server starts', () => {
  const e1 = endpoint(1), e2 = endpoint(2);
  const r = new Router().route('/live', route('http')).ws('/live', e1).ws('/', e2, { prefix: true });
  assert.equal(r.matchUpgrade('/live')?.target, e1);
  assert.equal(r.matchUpgrade('/live/x')?.target, e2, 'an exact endpoint does not own the paths below it');
  assert.deepEqual(r.endpoints().map((e) => e.maxPayload).sort(), [1, 2]);
  assert.equal(new Router().route('/x', route('x')).matchUpgrade('/x'), undefined, 'an HTTP route does not take upgrades');
  assert.throws(() => r.route('/live', route('again')), /already registered/);
  assert.throws(() => r.ws('/', e1, { prefix: true }), /already registered/);
  assert.throws(() => r.route('relative', route('x')), /must start with/);
  assert.throws(() => r.route('/q?x=1', route('x')), /query/);
  r.seal();
  assert.throws(() => r.route('/later', route('later')), /before the server listens/);
  assert.throws(() => r.ws('/later', e1), /before the server listens/);
});

test('safeSegments: a plain relative path, or nothing', () => {
  assert.deepEqual(safeSegments(''), []);
  assert.deepEqual(safeSegments('/'), []);
  assert.deepEqual(safeSegments('/a/b.html'), ['a', 'b.html']);
  assert.deepEqual(safeSegments('//a//b'), ['a', 'b'], 'empty segments are dropped, never an absolute path');
  assert.deepEqual(safeSegments('/caf%C3%A9.txt'), ['café.txt']);
  assert.deepEqual(safeSegments('/%252e%252e/x'), ['%2e%2e', 'x'], 'decoded once only');
  for (const bad of ['/../x', '/a/../../x', '/%2e%2e/x', '/%2E%2E%2Fx', '/..%2fx', '/a/./b', '/.env', '/a/.git/config',
    '/a%00.html', '/a\\b', '/..%5cx', '/%5c..%5cx', '/%E0%A4%A', '/%']) {
    assert.equal(safeSegments(bad), undefined, bad);
  }
});
