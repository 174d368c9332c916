import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createLocalBus } from '../../src/core/local-bus.js';
import { logRunEnds, RUN_END_MSG } from '../../src/actors/run-log.js';

// One log line per run end: `info` for completed and cancelled runs, `warn` for failed ones, with the session,
// the request id, the outcome and the duration — never the message or reply text.

const SECRET_TEXT = 'my bank password is hunter2';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => { raw.push(s); lines.push(JSON.parse(s)); } });
  return { log, lines, raw };
}

test('a completed run: one info line with session, request id, outcome and duration, no text', () => {
  const bus = createLocalBus();
  const { log, lines, raw } = capture();
  logRunEnds(bus, log);
  const ref = { runId: 'req-1', sessionKey: 'http:dm:alice' };
  bus.publish('run.queued', { ...ref, surface: 'http', origin: { surface: 'http' }, at: 1_000, text: SECRET_TEXT });
  bus.publish('run.started', { ...ref, at: 1_500 });
  bus.publish('run.delta', { ...ref, delta: SECRET_TEXT, text: SECRET_TEXT });
  bus.publish('run.completed', { ...ref, at: 2_250, reply: `Echo: ${SECRET_TEXT}` });
  assert.equal(lines.length, 1);
  const [line] = lines;
  assert.equal(line.level, 30);
  assert.equal(line.msg, RUN_END_MSG);
  assert.equal(line.sessionKey, 'http:dm:alice');
  assert.equal(line.runId, 'req-1');
  assert.equal(line.outcome, 'completed');
  assert.equal(line.durationMs, 750);
  assert.equal(line.started, true);
  assert.ok(!raw.join('').includes('hunter2'), 'no message or reply text');
});

test('a failed run (provider refused the key) is a warn line with the error type; a queued run cancelled is info', () => {
  const bus = createLocalBus();
  const { log, lines, raw } = capture();
  logRunEnds(bus, log);
  const a = { runId: 'a', sessionKey: 's' };
  const b = { runId: 'b', sessionKey: 's' };
  bus.publish('run.queued', { ...a, surface: 'ws', origin: { surface: 'ws', connId: 'c1' }, at: 0, text: SECRET_TEXT });
  bus.publish('run.queued', { ...b, surface: 'ws', origin: { surface: 'ws', connId: 'c1' }, at: 10, text: SECRET_TEXT });
  bus.publish('run.started', { ...a, at: 20 });
  bus.publish('run.failed', { ...a, at: 120, reply: SECRET_TEXT, error: { type: 'unauthorized', message: 'the model provider refused the credentials (401)' } });
  bus.publish('run.cancelled', { ...b, at: 130, reply: '', started: false });
  assert.deepEqual(lines.map((l) => [l.runId, l.level, l.outcome]), [['a', 40, 'failed'], ['b', 30, 'cancelled']]);
  assert.equal(lines[0].errorType, 'unauthorized');
  assert.equal(lines[0].durationMs, 100);
  assert.equal(lines[1].started, false);
  assert.equal(lines[1].durationMs, 120, 'a run that never started counts from its acceptance');
  assert.ok(!raw.join('').includes('hunter2'));
});

test('the subscription can be stopped', () => {
  const bus = createLocalBus();
  const { log, lines } = capture();
  const stop = logRunEnds(bus, log);
  stop();
  bus.publish('run.completed', { runId: 'x', sessionKey: 's', at: 1, reply: 'r' });
  assert.equal(lines.length, 0);
});
