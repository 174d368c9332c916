import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cutString, sanitize } from '../../src/actors/inspect-sanitize.js';

// What the inspector may show (web-surfaces.md I3, IT4): secrets redacted at any depth, raw frame text
// reduced to its size, type and method, long strings cut, depth and arrays bounded; and the lint over every
// machine in src/machines/: no literal context in a config (definitions are not sanitized).

test('secret keys are redacted at any depth, in events, snapshots and inputs', () => {
  const out = sanitize({
    a: { b: { c: { token: 'T', deviceToken: 'D', ticket: 'K', oc_cap: 'C', cap: 'C', keep: 'yes' } } },
    auth: { token: 'T' }, signature: 's', privateKey: 'p', password: 'x', secret: 'y', apiKey: 'z', authorization: 'Bearer T',
  }) as any;
  assert.deepEqual(out.a.b.c, { token: '[redacted]', deviceToken: '[redacted]', ticket: '[redacted]', oc_cap: '[redacted]', cap: '[redacted]', keep: 'yes' });
  for (const k of ['auth', 'signature', 'privateKey', 'password', 'secret', 'apiKey', 'authorization']) assert.equal(out[k], '[redacted]');
});

test('raw frame text never leaves: FRAME events, pending frames and connect params are reduced', () => {
  const connect = JSON.stringify({ type: 'req', id: '1', method: 'connect', params: { auth: { token: 'SECRET-TOKEN' } } });
  assert.deepEqual(sanitize({ type: 'FRAME', text: connect, bytes: connect.length }),
    { type: 'FRAME', bytes: connect.length, frame: 'req', method: 'connect' });
  assert.deepEqual(sanitize({ type: 'FRAME', text: 'not json SECRET', bytes: 15 }), { type: 'FRAME', bytes: 15 });
  const ctx = sanitize({
    pending: [{ text: connect, bytes: 10 }, { text: 'x', bytes: 1 }],
    params: { minProtocol: 4, maxProtocol: 4, client: { id: 'c' }, role: 'operator', scopes: ['operator.read'], device: { nonce: 'n', signature: 's' }, auth: { token: 'T' } },
  });
  assert.deepEqual(ctx, { pending: { count: 2, bytes: 11 }, params: { client: { id: 'c' }, role: 'operator', scopes: ['operator.read'] } });
  assert.equal(JSON.stringify(ctx).includes('SECRET'), false);
});

test('long strings, deep objects, long arrays, and odd values are bounded', () => {
  assert.equal(cutString('x'.repeat(300)), `${'x'.repeat(200)}…(+100)`);
  assert.equal(sanitize('y'.repeat(200)), 'y'.repeat(200));
  let deep: any = { leaf: 1 };
  for (let i = 0; i < 20; i++) deep = { d: deep };
  assert.ok(JSON.stringify(sanitize(deep)).includes('[depth]'));
  const arr = sanitize(Array.from({ length: 120 }, (_, i) => i)) as unknown[];
  assert.equal(arr.length, 51);
  assert.equal(arr[50], '…(+70)');
  const cyclic: any = { name: 'c' };
  cyclic.self = cyclic;
  class Thing {}
  assert.deepEqual(sanitize({ cyclic, f: function named() {}, m: new Map([[1, 2]]), s: new Set([1]), t: new Thing(), e: new Error('boom') }), {
    cyclic: { name: 'c', self: '[cycle]' }, f: '[function named]', m: '[Map 1]', s: '[Set 1]', t: '[Thing]', e: { name: 'Error', message: 'boom' },
  });
});

test('lint: no machine in src/machines/ has a literal context (its definition reaches viewers unsanitized)', async () => {
  const dir = join(import.meta.dirname, '../../src/machines');
  let machines = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const mod = await import(join(dir, file)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) {
      const config = (value as { config?: { context?: unknown } } | null)?.config;
      if (typeof value !== 'object' || value === null || typeof config !== 'object' || !('states' in config! || 'initial' in config!)) continue;
      machines++;
      const kind = typeof config!.context;
      assert.ok(kind === 'function' || kind === 'undefined', `${file}: ${name}.config.context must be a function of input or absent, not ${kind}`);
    }
  }
  assert.ok(machines >= 4, `found ${machines} machines`);
});
