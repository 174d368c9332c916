import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../../src/store/db.js';
import { ChannelInboundStore } from '../../src/store/channel-inbound.js';

// Inbound dedupe records, the Telegram watermark (per bot id, never lowered), per-account values and group
// activation, on a real SQLite file; a reopen (restart) keeps them.

const DAY = 24 * 60 * 60 * 1000;
const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-inbound-'));
  dirs.push(dir);
  return dir;
}

test('record once per inbound id; has() across a restart; prune after 7 days', () => {
  const dir = tempDir();
  const clock = { t: 5_000 };
  let db = openDb(dir);
  let store = new ChannelInboundStore(db, { now: () => clock.t });
  assert.equal(store.has('tg:default:1:10'), false);
  assert.equal(store.record({ inboundId: 'tg:default:1:10', channel: 'telegram', accountId: 'default', kind: 'run' }), true);
  assert.equal(store.record({ inboundId: 'tg:default:1:10', channel: 'telegram', accountId: 'default', kind: 'denied' }), false);
  assert.equal(store.record({ inboundId: 'tg:default:1:11', channel: 'telegram', accountId: 'default', kind: 'context', payload: { text: 'hi' } }), true);
  db.close();
  db = openDb(dir);
  store = new ChannelInboundStore(db, { now: () => clock.t });
  assert.equal(store.has('tg:default:1:10'), true);
  const row = db.prepare('SELECT kind, payload, at FROM channel_inbound WHERE inbound_id = ?').get('tg:default:1:11');
  assert.deepEqual(row, { kind: 'context', payload: '{"text":"hi"}', at: 5_000 });
  clock.t += 7 * DAY;
  assert.equal(store.prune(), 0);
  clock.t += 1;
  assert.equal(store.prune(), 2);
  assert.equal(store.has('tg:default:1:10'), false);
  db.close();
});

test('watermark: per bot id, never lowered, a token moved to another bot starts over', () => {
  const db = openDb(tempDir());
  const store = new ChannelInboundStore(db, { now: () => 1 });
  assert.equal(store.watermark('telegram', 'default', '111'), 0, 'none yet');
  store.setWatermark('telegram', 'default', '111', 500);
  store.setWatermark('telegram', 'default', '111', 400);
  assert.equal(store.watermark('telegram', 'default', '111'), 500, 'never lowered');
  store.setWatermark('telegram', 'default', '111', 501);
  assert.equal(store.watermark('telegram', 'default', '111'), 501);
  assert.equal(store.watermark('telegram', 'other', '111'), 0, 'per account');
  assert.equal(store.watermark('telegram', 'default', '222'), 0, 'another bot id reads 0');
  store.setWatermark('telegram', 'default', '222', 7);
  assert.equal(store.watermark('telegram', 'default', '222'), 7, 'a new bot id replaces, even with a lower id');
  assert.equal(store.watermark('telegram', 'default', '111'), 0, 'the old bot is gone');
  db.close();
});

test('meta and activation: set, read, overwrite', () => {
  const db = openDb(tempDir());
  const store = new ChannelInboundStore(db, { now: () => 1 });
  assert.equal(store.meta('telegram', 'default', 'commandsHash'), undefined);
  store.setMeta('telegram', 'default', 'commandsHash', 'abc');
  store.setMeta('telegram', 'default', 'commandsHash', 'def');
  assert.equal(store.meta('telegram', 'default', 'commandsHash'), 'def');
  assert.equal(store.meta('signal', 'default', 'commandsHash'), undefined);
  const key = 'agent:main:telegram:group:-100123';
  assert.equal(store.activation(key), undefined);
  store.setActivation(key, 'always');
  assert.equal(store.activation(key), 'always');
  store.setActivation(key, 'mention');
  assert.equal(store.activation(key), 'mention');
  db.close();
});
