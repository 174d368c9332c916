import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../../src/store/db.js';
import { DeviceStore } from '../../src/store/devices.js';
import { NodeStore } from '../../src/store/nodes.js';

// NodeStore on a real SQLite file: approvals and pending node requests survive a reopen (restart), a node
// has one pending request for the surface it declares now, approvals widen, and removing the device
// removes both (the nodes are a second layer on top of device pairing).

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function open(dir?: string) {
  const stateDir = dir ?? mkdtempSync(join(tmpdir(), 'clawgate-nodes-'));
  if (!dir) dirs.push(stateDir);
  const db = openDb(stateDir);
  return { stateDir, db, devices: new DeviceStore(db, stateDir), nodes: new NodeStore(db) };
}

const CLIENT = { displayName: 'Node', platform: 'linux', clientId: 'node-host', clientMode: 'node' };

function pairDevice(devices: DeviceStore, deviceId: string): void {
  devices.approve({ deviceId, publicKey: `pk-${deviceId}`, role: 'node', scopes: [], client: CLIENT }, 'silent');
}

test('an approval and a pending request survive a restart', () => {
  const a = open();
  pairDevice(a.devices, 'n1');
  pairDevice(a.devices, 'n2');
  const { request } = a.nodes.request('n1', { caps: ['canvas'], commands: ['canvas.present'], permissions: {} }, CLIENT, true);
  a.nodes.approve(request);
  const pending = a.nodes.request('n2', { caps: ['camera'], commands: ['camera.list'], permissions: { camera: true } }, CLIENT, false).request;
  a.db.close();

  const b = open(a.stateDir);
  const approved = b.nodes.approved('n1');
  assert.deepEqual([approved?.caps, approved?.commands, approved?.client], [['canvas'], ['canvas.present'], CLIENT]);
  assert.deepEqual(b.nodes.pending(), [pending]);
  assert.equal(b.nodes.pendingFor('n1'), undefined, 'approving consumed the request');
  b.db.close();
});

test('one pending request per node: the same surface reuses it, another surface replaces it', () => {
  const s = open();
  pairDevice(s.devices, 'n1');
  const surface = { caps: ['canvas'], commands: ['canvas.present', 'canvas.hide'], permissions: {} };
  const first = s.nodes.request('n1', surface, CLIENT, false);
  const again = s.nodes.request('n1', { ...surface, commands: ['canvas.hide', 'canvas.present'] }, CLIENT, false);
  assert.equal(first.created, true);
  assert.deepEqual([again.created, again.request.requestId], [false, first.request.requestId], 'order does not make a new surface');
  const wider = s.nodes.request('n1', { ...surface, caps: ['canvas', 'screen'] }, CLIENT, false);
  assert.equal(wider.created, true);
  assert.deepEqual(s.nodes.pending().map((r) => r.requestId), [wider.request.requestId]);
  s.db.close();
});

test('approving a wider surface adds to the approval', () => {
  const s = open();
  pairDevice(s.devices, 'n1');
  s.nodes.approve(s.nodes.request('n1', { caps: ['canvas'], commands: ['canvas.present'], permissions: { screen: false } }, CLIENT, false).request);
  const after = s.nodes.approve(s.nodes.request('n1', { caps: ['camera'], commands: ['camera.list'], permissions: { screen: true } }, CLIENT, false).request);
  assert.deepEqual([after.caps, after.commands, after.permissions], [['canvas', 'camera'], ['canvas.present', 'camera.list'], { screen: true }]);
  s.db.close();
});

test('removing the device removes its node approval and requests; remove() forgets a node', () => {
  const s = open();
  pairDevice(s.devices, 'n1');
  pairDevice(s.devices, 'n2');
  s.nodes.approve(s.nodes.request('n1', { caps: ['canvas'], commands: [], permissions: {} }, CLIENT, false).request);
  s.nodes.request('n1', { caps: ['canvas', 'camera'], commands: [], permissions: {} }, CLIENT, false);
  s.devices.remove('n1');
  assert.deepEqual([s.nodes.approved('n1'), s.nodes.pendingFor('n1')], [undefined, undefined]);
  s.nodes.approve(s.nodes.request('n2', { caps: ['canvas'], commands: [], permissions: {} }, CLIENT, false).request);
  assert.equal(s.nodes.remove('n2'), true);
  assert.equal(s.nodes.approved('n2'), undefined);
  assert.equal(s.nodes.remove('n2'), false);
  s.db.close();
});
