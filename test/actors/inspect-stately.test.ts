import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import { pino } from 'pino';
import { fromPromise, type InspectionEvent, SimulatedClock } from 'xstate';
import { InspectHub } from '../../src/actors/inspect-hub.js';
import { sanitize } from '../../src/actors/inspect-sanitize.js';
import { ActorDirectory, createSupervisedActor } from '../../src/actors/supervise.js';
import { type QueuedRun, sessionMachine } from '../../src/machines/session.js';
import { ManualTimers, MemoryViewer } from '../helpers/inspect.js';

// IT5 (web-surfaces.md I2): the hub's `@xstate.actor`, `@xstate.event` and `@xstate.snapshot` frames equal what
// `createInspector` of @statelyai/inspect 0.7.2 emits for the same inspection events of a scripted session
// run, through a capturing adapter with the same sanitizer — `createdAt` aside, and `definition` compared as
// JSON (Stately's stringifier sorts keys).
//
// Stately converts each event on an idle callback (setTimeout 0 in Node) and reads an announced actor's
// snapshot then. Mocked timers make it convert at once, except an actor announced from its constructor (it
// has no snapshot yet): that one converts with the next event, when the hub writes its frame too.

type Frame = Record<string, unknown>;
const log = pino({ level: 'silent' });
const STATELY_TYPES = new Set(['@xstate.actor', '@xstate.event', '@xstate.snapshot']);

/** A frame as it crosses a wire (undefined fields gone), without `createdAt`, its definition parsed. */
function comparable(f: Frame): Frame {
  const { createdAt: _createdAt, ...rest } = JSON.parse(JSON.stringify(f)) as Frame;
  if (typeof rest.definition === 'string') rest.definition = JSON.parse(rest.definition);
  return rest;
}

test('IT5: the session machine\'s actor, event and snapshot frames equal @statelyai/inspect 0.7.2\'s createInspector', async (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const captured: Frame[] = [];
  // the same sanitizer, on the whole snapshot and event: Stately's sanitizeContext would miss a child's `input`
  // (a run's message), which Clawgate's frames sanitize too (I3)
  const stately = createInspector({ send: (e: StatelyInspectionEvent) => void captured.push(e as unknown as Frame) }, {
    serialize: (e) => {
      const f = { ...e } as Frame;
      if ('snapshot' in f) f.snapshot = sanitize(f.snapshot);
      if ('event' in f) f.event = sanitize(f.event);
      return f as unknown as StatelyInspectionEvent;
    },
  });
  const directory = new ActorDirectory();
  const hub = new InspectHub({ version: 'test', directory, timers: new ManualTimers(), now: () => 0 });
  const viewer = new MemoryViewer();
  hub.attach(viewer);

  const finish: (() => void)[] = [];
  const logic = sessionMachine.provide({
    actors: { executeRun: fromPromise<void, QueuedRun>(() => new Promise<void>((resolve) => finish.push(resolve))) },
  });
  const run = (runId: string, text: string): QueuedRun => ({ runId, input: { runId, sessionKey: 'k', text, parts: [] } });
  const { actor } = createSupervisedActor(logic, {
    input: { sessionKey: 'k', idleMs: 60_000, runTimeoutMs: 0 }, clock: new SimulatedClock(),
    inspect: (e: InspectionEvent) => {
      stately.inspect.next?.(e);
      // not while the announced actor has no snapshot yet: its constructor (the machine's initial eventless
      // step, start -> idle, is inspected there too)
      if (e.actorRef.getSnapshot() !== undefined) mock.timers.tick(1);
    },
  }, { kind: 'session', id: 'k', log, onFailure() {} }, directory);
  mock.timers.tick(1); // the root, registered now (the hub writes its frame at registration)
  actor.start();
  actor.send({ type: 'ENQUEUE', run: run('r1', 'x'.repeat(300)) });
  actor.send({ type: 'ENQUEUE', run: run('r2', 'second') });
  finish.shift()!();
  await new Promise((r) => setImmediate(r));
  actor.send({ type: 'CANCEL', runId: 'r2' });
  actor.send({ type: 'ENQUEUE', run: run('r3', 'third'), mode: 'interrupt' });
  actor.stop();

  const mine = viewer.frames.filter((f) => STATELY_TYPES.has(f.type)).map(comparable);
  const theirs = captured.filter((f) => STATELY_TYPES.has(f.type as string)).map(comparable);
  assert.ok(mine.length >= 10, `a real run was inspected (${mine.length} frames)`);
  assert.deepEqual(mine.map((f) => f.type), theirs.map((f) => f.type));
  for (let i = 0; i < mine.length; i++) assert.deepEqual(mine[i], theirs[i], `frame ${i} (${String(mine[i].type)})`);
  const children = mine.filter((f) => f.type === '@xstate.actor' && f.parentId === actor.sessionId);
  assert.ok(children.length >= 2 && children.every((c) => typeof c.snapshot === 'object'), 'every run child is announced with its snapshot');
  assert.ok(JSON.stringify(mine).includes(`${'x'.repeat(200)}…(+100)`), 'the long message is cut the same way');
});
