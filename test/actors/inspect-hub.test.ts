import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { createMachine, fromPromise, SimulatedClock, type AnyActorRef } from 'xstate';
import { InspectHub } from '../../src/actors/inspect-hub.js';
import { ActorDirectory, createSupervisedActor } from '../../src/actors/supervise.js';
import { sessionMachine, type QueuedRun } from '../../src/machines/session.js';
import { ManualTimers, MemoryViewer, spyOnInspect } from '../helpers/inspect.js';

// The inspect hub in process (web-surfaces.md I1, I2, I4; IT1, IT3, IT6): zero observers without a viewer,
// the join burst (hello, bounded replay, one synthesized @xstate.actor per live actor, live), pacing of the
// burst, and dropped (never waiting) live frames for a viewer that stopped reading.

const log = pino({ level: 'silent' });
const toggle = createMachine({ id: 'toggle', initial: 'off', states: { off: { on: { FLIP: 'on' } }, on: { on: { FLIP: 'off' } } } });
// a session whose runs never end: its state is `running` with the rest of its queue waiting
const stuckSession = sessionMachine.provide({ actors: { executeRun: fromPromise<void, QueuedRun>(() => new Promise(() => {})) } });
const run = (runId: string): QueuedRun => ({ runId, input: { runId, sessionKey: 's', text: runId, parts: [] } });

function setup() {
  const directory = new ActorDirectory();
  const timers = new ManualTimers();
  const hub = new InspectHub({ version: 'test', directory, timers, now: () => 1_000 });
  const spies: { calls: number; live: number }[] = [];
  // every root is spied on before the directory lists it (the hub attaches at that moment)
  const add = directory.add.bind(directory);
  directory.add = (entry) => {
    spies.push(spyOnInspect(entry.actor));
    add(entry);
  };
  const start = (kind: 'session' | 'connection' | 'node', id: string, logic: any = toggle, input?: unknown) => {
    const { actor } = createSupervisedActor(logic, { ...(input ? { input } : {}), clock: new SimulatedClock() },
      { kind, id, log, onFailure() {} }, directory);
    return actor.start() as AnyActorRef;
  };
  return { directory, timers, hub, spies, start };
}

test('IT1: with no viewer no observer is attached; a viewer attaches one per live root; leaving detaches everything', () => {
  const { hub, spies, start, timers } = setup();
  // sessions, connections and nodes come and go with nobody watching
  for (let i = 0; i < 100; i++) {
    const s = start('session', `s${i}`);
    s.send({ type: 'FLIP' });
    if (i % 2) s.stop();
  }
  for (let i = 0; i < 50; i++) start('connection', `c${i}`).stop();
  for (let i = 0; i < 5; i++) start('node', `n${i}`);
  assert.equal(spies.reduce((n, s) => n + s.calls, 0), 0, 'no system.inspect call without a viewer');
  assert.deepEqual(hub.state(), { viewers: 0, watching: false, ring: 0, timers: 0 });

  const viewer = new MemoryViewer();
  const detach = hub.attach(viewer);
  const liveRoots = 50 + 5; // the even sessions and the nodes
  assert.equal(spies.reduce((n, s) => n + s.live, 0), liveRoots, 'exactly one subscription per live root');
  assert.equal(spies.filter((s) => s.live > 1).length, 0);
  start('session', 'late').send({ type: 'FLIP' });
  assert.equal(spies.reduce((n, s) => n + s.live, 0), liveRoots + 1, 'a root listed while watched is attached too');
  assert.ok(hub.state().ring > 0);

  detach();
  assert.equal(spies.reduce((n, s) => n + s.live, 0), 0, 'no subscription after the last viewer left');
  assert.deepEqual(hub.state(), { viewers: 0, watching: false, ring: 0, timers: 0 });
  assert.equal(timers.count, 0);
});

test('IT3: a late viewer gets hello, at most 500 replayed frames, one @xstate.actor per live actor with its current state, then live', () => {
  const { hub, start } = setup();
  const a = new MemoryViewer();
  hub.attach(a);
  const toggles = Array.from({ length: 10 }, (_, i) => start('connection', `c${i}`));
  for (let i = 0; i < 1000; i++) toggles[i % 10].send({ type: 'FLIP' });
  toggles[3].send({ type: 'FLIP' }); // c3 ends `on`, the others `off`
  const session = start('session', 'main', stuckSession, { sessionKey: 'main', idleMs: 60_000 });
  session.send({ type: 'ENQUEUE', run: run('r1') });
  session.send({ type: 'ENQUEUE', run: run('r2') });

  const b = new MemoryViewer();
  hub.attach(b);
  const types = b.types();
  assert.equal(types[0], '@clawgate.hello');
  const liveAt = types.indexOf('@clawgate.live');
  assert.equal(liveAt, types.length - 1);
  const hello = b.frames[0];
  assert.ok(hello.replayed <= 500 && hello.replayed > 0, `replayed ${hello.replayed}`);
  const synthesized = b.frames.slice(1 + hello.replayed, liveAt);
  // 10 toggles + the session + its running executeRun child
  assert.equal(synthesized.length, 12);
  assert.ok(synthesized.every((f) => f.type === '@xstate.actor'));
  const byName = new Map<string, any>(synthesized.map((f) => [f.name, f]));
  assert.equal(byName.get('conn:c3').snapshot.value, 'on');
  assert.equal(byName.get('conn:c4').snapshot.value, 'off');
  const s = byName.get('session:main')!;
  assert.deepEqual(s.snapshot.value, { running: 'untimed' });
  assert.equal(s.snapshot.context.queue.length, 1, 'queue depth 1 while the second message waits');
  const child = synthesized.find((f) => f.parentId === s.sessionId);
  assert.ok(child, 'the running run is listed as the session\'s child');
  assert.equal(child.rootId, s.sessionId);

  toggles[0].send({ type: 'FLIP' });
  assert.equal(b.frames.at(-1)!.type, '@xstate.snapshot', 'live frames follow');
});

test('IT3: a burst bigger than 1 MiB is paced by the viewer\'s buffer, never dropped', () => {
  const { hub, start, timers } = setup();
  for (let i = 0; i < 5000; i++) start('connection', `c${i}`);
  const v = new MemoryViewer();
  v.accumulate = true;
  hub.attach(v);
  let drains = 0;
  while (!v.types().includes('@clawgate.live') && drains < 1000) {
    drains++;
    assert.ok(v.buffered <= 1024 * 1024 + 4096, 'the burst waits while the buffer is over 1 MiB');
    start('connection', `x${drains}`).send({ type: 'FLIP' }); // live traffic during the burst
    v.buffered = 0; // the socket drained
    timers.flushTimeouts();
  }
  assert.ok(drains >= 1, 'the burst waited for a drain');
  const actorFrames = v.frames.filter((f) => f.type === '@xstate.actor' && f.name.startsWith('conn:c'));
  assert.equal(actorFrames.length, 5000);
  assert.equal(new Set(actorFrames.map((f) => f.sessionId)).size, 5000);
  const live = v.types().indexOf('@clawgate.live');
  assert.ok(v.frames.slice(live + 1).some((f) => f.type === '@xstate.actor' && f.name.startsWith('conn:x')),
    'actors created during the burst arrive after it');
});

test('IT6: a viewer that stops reading loses live frames (counted), and the actors never wait', () => {
  const { hub, start, timers } = setup();
  const v = new MemoryViewer();
  hub.attach(v);
  const t = start('connection', 'c1');
  v.buffered = 2 * 1024 * 1024; // stopped reading
  const before = v.frames.length;
  for (let i = 0; i < 2000; i++) t.send({ type: 'FLIP' });
  assert.equal(v.frames.length, before, 'nothing more written');
  assert.equal((t.getSnapshot() as any).value, 'off', 'every event was processed');
  v.buffered = 0; // resumed
  timers.tick();
  const stats = v.frames.at(-1)!;
  assert.equal(stats.type, '@clawgate.stats');
  assert.ok(stats.dropped >= 4000, `dropped ${stats.dropped}`);
  assert.deepEqual(stats.actors, { session: 0, connection: 1, node: 0, channel: 0 });
});

test('IT5: every @xstate.* frame carries type, sessionId, rootId, createdAt, _version and id:null', () => {
  const { hub, start } = setup();
  const v = new MemoryViewer();
  hub.attach(v);
  const session = start('session', 'k', stuckSession, { sessionKey: 'k', idleMs: 60_000 });
  session.send({ type: 'ENQUEUE', run: run('r1') });
  session.stop();
  const xstate = v.frames.filter((f) => f.type.startsWith('@xstate.'));
  assert.ok(xstate.length >= 4);
  for (const f of xstate) {
    for (const k of ['type', 'sessionId', 'rootId', 'createdAt', '_version']) assert.equal(typeof f[k], 'string', `${f.type}.${k}`);
    assert.equal(f.id, null);
    assert.equal(f._version, '0.7.2');
  }
  const root = xstate.find((f) => f.type === '@xstate.actor' && f.name === 'session:k')!;
  assert.equal(typeof JSON.parse(root.definition).states, 'object');
  assert.ok(v.frames.some((f) => f.type === '@clawgate.microstep' && Array.isArray(f.transitions)));
  assert.ok(v.frames.some((f) => f.type === '@clawgate.stopped' && f.sessionId === root.sessionId));
  for (const f of v.frames.filter((x) => x.type.startsWith('@clawgate.'))) assert.equal('_version' in f, false);
});

test('a frame that cannot be built is not shown, and the actor goes on', () => {
  const { hub, start } = setup();
  const v = new MemoryViewer();
  hub.attach(v);
  const t = start('connection', 'c1');
  const hostile = { get boom() { throw new Error('getter'); } };
  t.send({ type: 'FLIP', hostile } as any);
  assert.equal((t.getSnapshot() as any).value, 'on');
  t.send({ type: 'FLIP' });
  assert.equal((t.getSnapshot() as any).value, 'off');
  assert.ok(v.frames.some((f) => f.type === '@xstate.snapshot' && f.snapshot.value === 'off'));
});
