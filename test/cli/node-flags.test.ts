import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GATEWAY_NODE_FLAGS, missingNodeFlags } from '../../src/cli/node-flags.js';

// Which of the gateway's node flags a process runs without (the gateway logs them at start).

test('all given on the command line, or none', () => {
  assert.deepEqual(missingNodeFlags([...GATEWAY_NODE_FLAGS]), []);
  assert.deepEqual(missingNodeFlags([]), [...GATEWAY_NODE_FLAGS]);
  assert.deepEqual(missingNodeFlags(['--enable-source-maps']), [...GATEWAY_NODE_FLAGS]);
});

test('a flag given with another value counts as given; NODE_OPTIONS counts too', () => {
  assert.deepEqual(missingNodeFlags(['--max-semi-space-size=16', '--expose-gc'], ' --gc-memory-reducer-start-delay-ms=2000 '), []);
  assert.deepEqual(missingNodeFlags(['--expose-gc'], '--max-semi-space-size=8'), ['--gc-memory-reducer-start-delay-ms=1000']);
});
