import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeEvent, withSeq } from '../../protocol/encode.js';

// An event is encoded once and spliced per socket: the text (withSeq) and the bytes the transport writes
// (bytes, a reused buffer per digit count) are the same frame, the one JSON.stringify would write.

test('an encoded event spliced with a seq is the frame JSON.stringify writes, as text and as UTF-8 bytes', () => {
  const payload = { runId: 'r1', text: 'ünïcode ✓ "quoted"', n: 3 };
  const event = encodeEvent('agent', payload, { lossy: true, stateVersion: { presence: 2, health: 5 } });
  assert.equal(event.lossy, true);
  for (const seq of [1, 9, 9, 10, 42, 42, 99, 100, 5, 65_535, 1_000_000, Number.MAX_SAFE_INTEGER, 7, 42, 42]) {
    const expected = JSON.stringify({ type: 'event', event: 'agent', payload, stateVersion: { presence: 2, health: 5 }, seq });
    assert.equal(withSeq(event, seq), expected);
    assert.equal(event.text(seq), expected);
    assert.equal(Buffer.from(event.bytes(seq)).toString('utf8'), expected, `seq ${seq}`);
  }
  assert.equal(encodeEvent('tick', undefined).text(3), '{"type":"event","event":"tick","seq":3}');
});
