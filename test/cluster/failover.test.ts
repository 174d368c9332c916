import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OWNER_LOST, OWNER_LOST_AGAIN, redelivery } from '../../src/cluster/failover.js';
import type { RunStatus } from '../../src/cluster/run-status.js';

const status = (s: Partial<RunStatus>): RunStatus => ({
  runId: 'r', sessionKey: 's', state: 'queued', owner: 'a', queuedAt: 1, recoveries: 0, updatedAt: 1, ...s,
});

test('a message nobody ran is run: no record, or queued and never started', () => {
  assert.deepEqual(redelivery(undefined, 'rerun'), { action: 'run' });
  assert.deepEqual(redelivery(undefined, 'fail'), { action: 'run' });
  assert.deepEqual(redelivery(status({ state: 'queued' }), 'fail'), { action: 'run' });
});

test('a finished run was answered: settled, whatever the policy', () => {
  for (const state of ['completed', 'failed', 'cancelled'] as const) {
    for (const policy of ['rerun', 'fail'] as const) {
      assert.deepEqual(redelivery(status({ state, startedAt: 2, finishedAt: 3, recoveries: 1 }), policy), { action: 'settled' }, `${state}/${policy}`);
    }
  }
});

test('a run its lost owner was running is run once more under rerun, failed under fail', () => {
  assert.deepEqual(redelivery(status({ state: 'running', startedAt: 2 }), 'rerun'), { action: 'rerun', recoveries: 1 });
  assert.deepEqual(redelivery(status({ state: 'running', startedAt: 2 }), 'fail'), { action: 'fail', error: OWNER_LOST });
});

test('never a third time: a recovered run whose owner is lost again fails with a reason', () => {
  assert.deepEqual(redelivery(status({ state: 'running', startedAt: 2, recoveries: 1 }), 'rerun'), { action: 'fail', error: OWNER_LOST_AGAIN });
  // re-queued by the failover (queued again after having started) and lost again before it ran
  assert.deepEqual(redelivery(status({ state: 'queued', startedAt: 2, recoveries: 1 }), 'rerun'), { action: 'fail', error: OWNER_LOST_AGAIN });
});
