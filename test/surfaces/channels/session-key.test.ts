import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { originFor, sessionKeyFor } from '../../../src/surfaces/channels/session-key.js';
import { accountConfig, groupMessage, message } from './pipeline-fixtures.js';

// §1.5: session keys (per person by default, groups by id, forum topics) and the channel origin of a run.

const cfg = accountConfig();

describe('sessionKeyFor (§1.5)', () => {
  test('T1: a Telegram DM is one session per person', () => {
    assert.equal(sessionKeyFor(message(), cfg), 'agent:main:telegram:direct:111');
  });

  test('the DM peer is lower-cased; Signal uuid: prefixes are dropped', () => {
    assert.equal(sessionKeyFor(message({ channel: 'signal', senderId: 'ABCD-EF' }), cfg), 'agent:main:signal:direct:abcd-ef');
    assert.equal(sessionKeyFor(message({ channel: 'signal', senderId: 'uuid:ABCD-EF' }), cfg), 'agent:main:signal:direct:abcd-ef');
    assert.equal(sessionKeyFor(message({ channel: 'whatsapp', senderId: '+15551230000', chatId: '15551230000@s.whatsapp.net' }), cfg),
      'agent:main:whatsapp:direct:+15551230000');
  });

  test('dm-scope main shares agent:main:main among DMs, not groups', () => {
    const shared = accountConfig({ dmScope: 'main' });
    assert.equal(sessionKeyFor(message(), shared), 'agent:main:main');
    assert.equal(sessionKeyFor(message({ senderId: '222', chatId: '222' }), shared), 'agent:main:main');
    assert.equal(sessionKeyFor(groupMessage(), shared), 'agent:main:telegram:group:-100');
  });

  test('T3: a group is keyed by its id', () => {
    assert.equal(sessionKeyFor(groupMessage(), cfg), 'agent:main:telegram:group:-100');
  });

  test('group ids keep their case (Signal base64)', () => {
    assert.equal(sessionKeyFor(groupMessage({ channel: 'signal', chatId: 'aBc=' }), cfg), 'agent:main:signal:group:aBc=');
  });

  test('SG2: a Signal group is keyed by groupInfo.groupId, not by its group.<base64> recipient', () => {
    const msg = groupMessage({ channel: 'signal', chatId: 'group.YWJjPQ==', groupId: 'abc=' });
    assert.equal(sessionKeyFor(msg, cfg), 'agent:main:signal:group:abc=');
    assert.equal((originFor(msg) as { chatId?: string }).chatId, 'group.YWJjPQ==');
  });

  test('T4: forum topics, General = topic 1', () => {
    assert.equal(sessionKeyFor(groupMessage({ threadId: '42' }), cfg), 'agent:main:telegram:group:-100:topic:42');
    assert.equal(sessionKeyFor(groupMessage({ threadId: '1' }), cfg), 'agent:main:telegram:group:-100:topic:1');
  });

  test('a DM thread enters the key only with dmTopics', () => {
    assert.equal(sessionKeyFor(message({ threadId: '5' }), cfg), 'agent:main:telegram:direct:111');
    assert.equal(sessionKeyFor(message({ threadId: '5' }), cfg, { dmTopics: true }), 'agent:main:telegram:direct:111:topic:5');
    assert.equal(sessionKeyFor(message(), cfg, { dmTopics: true }), 'agent:main:telegram:direct:111');
  });
});

describe('originFor (§1.5)', () => {
  test('a DM: the chat and sender, no quoting', () => {
    assert.deepEqual(originFor(message()), {
      surface: 'channel', channel: 'telegram', accountId: 'default', chatId: '111', chatType: 'direct', senderId: '111',
    });
  });

  test('a group topic: the thread, and the reply quotes the trigger', () => {
    assert.deepEqual(originFor(groupMessage({ threadId: '42', messageId: '77', senderId: '111' })), {
      surface: 'channel', channel: 'telegram', accountId: 'default', chatId: '-100', threadId: '42', replyTo: '77',
      chatType: 'group', senderId: '111',
    });
  });
});
