import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { eventSubject, kindOfSubject, sessionKeyOf, sessionToken } from '../../src/cluster/subjects.js';

// Session keys are any text; in a subject they must be one token of NATS-safe characters, and reversible.

test('a session token is one NATS-safe token and decodes back to its session key', () => {
  fc.assert(fc.property(fc.string({ minLength: 1, unit: 'binary' }), (key) => {
    const token = sessionToken(key);
    assert.match(token, /^[A-Za-z0-9_-]+$/);
    assert.equal(sessionKeyOf(token), key);
  }));
});

test('keys with dots, wildcards and spaces get distinct tokens', () => {
  const keys = ['agent:main:main', 'a.b', 'a*b', 'a>b', 'a b', 'telegram:default:dm:42', 'é'];
  assert.equal(new Set(keys.map(sessionToken)).size, keys.length);
  assert.throws(() => sessionToken(''), /never empty/);
});

test('an event subject is clawgate.events.<kind>.<token>, and the kind reads back from it', () => {
  const s = eventSubject('run.delta', 'agent:main:main');
  assert.equal(s, `clawgate.events.run.delta.${sessionToken('agent:main:main')}`);
  assert.equal(kindOfSubject(s), 'run.delta');
  assert.equal(eventSubject('channel.state', undefined), 'clawgate.events.channel.state._');
  assert.equal(kindOfSubject('clawgate.events.run'), '');
});
