import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sessionKeyOf, sessionToken } from '../../src/cluster/session-token.js';

const keys = [
  'main', 'agent:main:telegram:direct:12345', 'a.b.c', 'with space', '*', '>', 'a>b*c.d', 'ünïcødé 🐙', '/slash/', '=',
  'x'.repeat(512),
];

test('every session key becomes one NATS subject token and a valid KV key, and comes back', () => {
  for (const key of keys) {
    const token = sessionToken(key);
    assert.match(token, /^[A-Za-z0-9_-]+$/, `token of ${JSON.stringify(key)}`);
    assert.equal(sessionKeyOf(token), key);
  }
});

test('different keys give different tokens', () => {
  const tokens = new Set(keys.map(sessionToken));
  assert.equal(tokens.size, keys.length);
});

test('an empty key and anything that is not a canonical token are refused', () => {
  assert.throws(() => sessionToken(''), /empty session key/);
  for (const bad of ['', 'a.b', 'a b', 'ab=', 'a+b', 'a/b', 'bWFpbh', '_w']) {
    assert.throws(() => sessionKeyOf(bad), /not a session token/, JSON.stringify(bad));
  }
});
