import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CanvasCaps } from '../../../src/surfaces/ws/canvas-caps.js';

// The capability store alone, on an injected clock: expired capabilities are refused at once, but dropped from
// memory by a sweep at most once a minute (at issue time), not on every issue: a sweep per issue made each
// handshake scan every capability (15 % of a handshake's CPU with 6 000 connections in bench:ws).

test('an expired capability is refused at once; issuing sweeps the expired ones at most once a minute', () => {
  let now = 0;
  const caps = new CanvasCaps({ now: () => now, ttlMs: 1_000 });
  const a = caps.issue('a');
  now = 1_500; // a expired
  const b = caps.issue('b');
  assert.equal(caps.size, 2, 'no sweep within a minute of the last one: a is still held');
  assert.equal(caps.use(a), false, 'but refused');
  assert.equal(caps.size, 1, 'and dropped by the refusal');
  assert.equal(caps.use(b), true);
  now = 61_000; // b expired, and a minute since the last sweep
  caps.issue('c');
  assert.equal(caps.size, 1, 'the sweep dropped b');
  assert.equal(caps.use(b), false);
});

test('a pinned capability (an open live-reload socket) survives the sweep; its connection closing drops it', () => {
  let now = 0;
  const caps = new CanvasCaps({ now: () => now, ttlMs: 1_000 });
  const a = caps.issue('a');
  const release = caps.pin(a);
  now = 120_000;
  caps.issue('b');
  assert.equal(caps.use(a), true, 'pinned: in use');
  release();
  caps.connectionClosed('a');
  assert.equal(caps.use(a), false);
  assert.equal(caps.size, 1);
});

test('capabilities are 24 base64url characters, all distinct, across refills of the random pool', () => {
  const caps = new CanvasCaps();
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const cap = caps.issue(`c${i}`);
    assert.match(cap, /^[A-Za-z0-9_-]{24}$/);
    seen.add(cap);
  }
  assert.equal(seen.size, 1000);
  assert.equal(caps.size, 1000);
  // each is live and bound to its own connection
  assert.equal(caps.use([...seen][999]!), true);
  caps.connectionClosed('c999');
  assert.equal(caps.use([...seen][999]!), false);
});
