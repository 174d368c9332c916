import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeferredMetrics } from '../../src/actors/deferred-metrics.js';
import { createLocalBus } from '../../src/core/local-bus.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';

// The metrics with prom-client loaded after start: what happened before the load is counted exactly as if the
// metrics had been there from the start, and nothing is counted twice after it.

const ref = (runId: string) => ({ runId, sessionKey: 'agent:main:m', sessionId: 's' });

test('events and journal commits before the load are replayed into the metrics, then counted live once', async () => {
  const bus = createLocalBus();
  const metrics = new DeferredMetrics();
  const stop = metrics.attach({ bus, sessions: { size: 2, queueDepth: () => 1 }, hub: () => undefined });
  bus.publish('run.started', { ...ref('r1'), at: 1_000 });
  bus.publish('run.completed', { ...ref('r1'), at: 3_000, reply: 'ok' });
  bus.publish('run.started', { ...ref('r2'), at: 4_000 }); // ends after the load
  metrics.observeJournal('queued', 0.002);

  await metrics.load();
  bus.publish('run.failed', { ...ref('r2'), at: 4_500, reply: '', error: { type: 'timeout', message: 'late' } });
  metrics.observeJournal('queued', 0.003);
  const e = parsePrometheusText((await metrics.scrape()).body);

  assert.equal(sampleValue(e, 'clawgate_runs_total', { outcome: 'completed' }), 1);
  assert.equal(sampleValue(e, 'clawgate_runs_total', { outcome: 'failed' }), 1);
  assert.equal(sampleValue(e, 'clawgate_bus_events_total', { kind: 'run.started' }), 2);
  assert.equal(sampleValue(e, 'clawgate_run_duration_seconds_count', { outcome: 'completed' }), 1);
  assert.equal(sampleValue(e, 'clawgate_run_duration_seconds_sum', { outcome: 'completed' }), 2);
  assert.equal(sampleValue(e, 'clawgate_run_duration_seconds_sum', { outcome: 'failed' }), 0.5);
  assert.equal(sampleValue(e, 'clawgate_journal_commit_seconds_count', { step: 'queued' }), 2);
  assert.equal(sampleValue(e, 'clawgate_sessions_live'), 2);
  assert.equal(metrics.droppedBeforeLoad, 0);

  stop();
  bus.publish('run.started', { ...ref('r3'), at: 5_000 });
  const after = parsePrometheusText((await metrics.scrape()).body);
  assert.equal(sampleValue(after, 'clawgate_bus_events_total', { kind: 'run.started' }), 2, 'nothing counted after stop');
});

test('a scrape before the load loads the metrics; the load happens once', async () => {
  const metrics = new DeferredMetrics();
  const [a, b] = await Promise.all([metrics.load(), metrics.load()]);
  assert.equal(a, b);
  assert.match((await metrics.scrape()).body, /clawgate_journal_commit_seconds/);
});
