import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { METHOD_PARAMS } from '../../protocol/index.js';
import { ConnectError, GATEWAY_METHODS, pausesReconnect, reconnectDelayMs } from '../../src/client/index.js';
import { ROOT } from '../helpers/cli.js';

// K1, K2, K5, S11 as source rules: src/client runs in a browser as it is (no Node built-in, no Buffer, no
// process), carries no TypeBox (protocol/ and typebox imported as types only), never builds HTML from strings
// or evaluates code; its method map is exactly the operator methods of METHOD_PARAMS plus
// clawgate.inspect.ticket; the W7 backoff and the pause rule.

const DIR = join(ROOT, 'src', 'client');
const files = readdirSync(DIR).filter((f) => f.endsWith('.ts')).map((f) => ({ name: f, text: readFileSync(join(DIR, f), 'utf8') }));
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
const imports = (text: string) => [...code(text).matchAll(/^(import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm)].map((m) => ({ typeOnly: Boolean(m[2]), spec: m[3] }));

test('src/client imports no Node built-in and uses no Buffer or process', () => {
  assert.ok(files.length >= 5, 'the client sources are found');
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  for (const { name, text } of files) {
    for (const { spec } of imports(text)) {
      assert.ok(!builtins.has(spec) && !spec.startsWith('node:'), `${name} imports the Node built-in ${spec}`);
      assert.ok(spec.startsWith('.') || spec === 'typebox', `${name} imports the package ${spec}: the client has no runtime dependency`);
    }
    assert.doesNotMatch(code(text), /\bBuffer\b/, `${name} uses Buffer`);
    assert.doesNotMatch(code(text), /\bprocess\./, `${name} uses process`);
    assert.doesNotMatch(code(text), /\brequire\(/, `${name} uses require`);
  }
});

test('src/client imports protocol/ and typebox as types only (no TypeBox in a browser bundle)', () => {
  for (const { name, text } of files) {
    for (const { typeOnly, spec } of imports(text)) {
      if (spec.includes('/protocol/') || spec === 'typebox') assert.ok(typeOnly, `${name}: \`import type\` for ${spec}`);
      else assert.ok(!spec.startsWith('../'), `${name} reaches outside src/client: ${spec}`);
    }
  }
});

test('S11: src/client has no innerHTML, outerHTML, insertAdjacentHTML, document.write, eval or new Function', () => {
  for (const { name, text } of files) {
    assert.doesNotMatch(code(text), /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\s*\(|new\s+Function\s*\(/, name);
  }
});

test('K2: the method map is exactly the operator methods of METHOD_PARAMS (clawgate.inspect.ticket included)', () => {
  const expected = Object.keys(METHOD_PARAMS).filter((m) => m !== 'connect').sort();
  assert.ok(expected.includes('clawgate.inspect.ticket'));
  assert.deepEqual([...GATEWAY_METHODS].sort(), expected);
  assert.equal(new Set(GATEWAY_METHODS).size, GATEWAY_METHODS.length);
});

test('W7 backoff: 0.8 s × 1.7ⁿ capped at 15 s, times [0.8, 1.2]; retryAfterMs replaces it', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map((n) => reconnectDelayMs(n)), [800, 1360, 2312, 3930, 6682, 11359, 15000, 15000]);
  assert.equal(reconnectDelayMs(0, {}, 0), 640);
  assert.equal(reconnectDelayMs(0, {}, 0.999_999), 960);
  assert.equal(reconnectDelayMs(10, {}, 0.999_999), 18000);
  assert.equal(reconnectDelayMs(3, {}, 0.5, 1_000), 1_000);
  assert.equal(reconnectDelayMs(2, { initialDelayMs: 100, factor: 2, maxDelayMs: 300, jitter: 0 }), 300);
});

test('K5: pause on PAIRING_REQUIRED, PROTOCOL_MISMATCH and AUTH_* (not the rate limit, not UNAVAILABLE, not a lost socket)', () => {
  const rejected = (code: string, detail?: string, extra: Record<string, unknown> = {}) =>
    new ConnectError('rejected', 'x', { error: { code, message: 'x', ...(detail ? { details: { code: detail } } : {}), ...extra } });
  for (const detail of ['PAIRING_REQUIRED', 'PROTOCOL_MISMATCH', 'CLIENT_VERSION_MISMATCH', 'AUTH_TOKEN_MISMATCH', 'AUTH_TOKEN_MISSING',
    'AUTH_DEVICE_TOKEN_MISMATCH', 'AUTH_SCOPE_MISMATCH', 'DEVICE_AUTH_SIGNATURE_INVALID', 'DEVICE_IDENTITY_REQUIRED', 'CONTROL_UI_ORIGIN_NOT_ALLOWED']) {
    assert.equal(pausesReconnect(rejected('INVALID_REQUEST', detail)), true, detail);
  }
  assert.equal(pausesReconnect(rejected('INVALID_REQUEST', 'AUTH_RATE_LIMITED', { retryable: true, retryAfterMs: 5 })), false);
  assert.equal(pausesReconnect(rejected('UNAVAILABLE', undefined, { retryable: true, retryAfterMs: 500 })), false);
  assert.equal(pausesReconnect(new ConnectError('socket-error', 'refused')), false);
  assert.equal(pausesReconnect(new ConnectError('closed', 'x', { close: { code: 1006, reason: '' } })), false);
  assert.equal(pausesReconnect(new ConnectError('closed', 'x', { close: { code: 1013, reason: 'gateway starting' } })), false);
  assert.equal(pausesReconnect(new ConnectError('closed', 'x', { close: { code: 1008, reason: 'origin not allowed' } })), true);
  assert.equal(pausesReconnect(new Error('anything else')), false);
});
