import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { createMachine, type InspectionEvent } from 'xstate';
import { ActorDirectory, createSupervisedActor } from '../../src/actors/supervise.js';

// The inspection seam: every root actor is created through createSupervisedActor, listed in a directory
// while it lives, and an inspector attaches to all of them (alive or created later) through the directory;
// with nobody watching, no observer is attached and nothing is delivered.

const toggle = createMachine({
  id: 'toggle', initial: 'off',
  states: { off: { on: { FLIP: 'on' } }, on: { on: { FLIP: 'off', END: 'done' } }, done: { type: 'final' } },
});
const log = pino({ level: 'silent' });

test('the directory lists live root actors and forgets them when they end', () => {
  const directory = new ActorDirectory();
  const a = createSupervisedActor(toggle, {}, { kind: 'session', id: 's1', log, onFailure() {} }, directory).actor.start();
  const b = createSupervisedActor(toggle, {}, { kind: 'connection', id: 'c1', log, onFailure() {} }, directory).actor.start();
  assert.deepEqual(directory.list().map((e) => [e.kind, e.id]), [['session', 's1'], ['connection', 'c1']]);
  a.send({ type: 'FLIP' });
  a.send({ type: 'END' }); // final state
  b.stop();
  assert.deepEqual(directory.list(), []);
});

test('an inspector sees live and new actors while it watches, and nothing is attached before or after', () => {
  const directory = new ActorDirectory();
  const seen: string[] = [];
  const record = (e: InspectionEvent, from: { kind: string; id: string }) => {
    if (e.type === '@xstate.event') seen.push(`${from.kind}:${from.id}:${(e.event as { type: string }).type}`);
  };
  const early = createSupervisedActor(toggle, {}, { kind: 'session', id: 'early', log, onFailure() {} }, directory).actor.start();
  early.send({ type: 'FLIP' }); // nobody watching: not seen
  assert.equal(directory.watching, 0);

  const stop = directory.inspect(record);
  early.send({ type: 'FLIP' });
  const late = createSupervisedActor(toggle, {}, { kind: 'node', id: 'late', log, onFailure() {} }, directory).actor.start();
  late.send({ type: 'FLIP' });
  stop();
  assert.equal(directory.watching, 0);
  early.send({ type: 'FLIP' });
  late.send({ type: 'FLIP' });

  assert.deepEqual(seen.filter((s) => !s.includes('xstate.init')), ['session:early:FLIP', 'node:late:FLIP']);
  early.stop();
  late.stop();
});
