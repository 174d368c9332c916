import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { activationFor, gate, GROUP_CONTEXT_HEADER, GroupContext, isMentioned } from '../../../src/surfaces/channels/gate.js';
import { accountConfig, groupMessage, message } from './pipeline-fixtures.js';

// C4: mention gating of group messages, activation, and the group context handed to the next run.

const cfg = accountConfig({ allowFrom: ['111'], groups: { '-100': {} } });
const KEY = 'agent:main:telegram:group:-100';

describe('gate (C4)', () => {
  test('T3: hello → context; @t_bot hello → run; a reply to the bot → run', () => {
    assert.deepEqual(gate(groupMessage({ text: 'hello' }), cfg), { kind: 'context' });
    assert.deepEqual(gate(groupMessage({ text: '@t_bot hello', mentionsBot: true }), cfg), { kind: 'run' });
    assert.deepEqual(gate(groupMessage({ text: 'ok', replyTo: { messageId: '5', isToBot: true } }), cfg), { kind: 'run' });
    assert.deepEqual(gate(groupMessage({ text: 'ok', replyTo: { messageId: '5', isToBot: false } }), cfg), { kind: 'context' });
  });

  test('DMs always run', () => {
    assert.deepEqual(gate(message({ text: 'hi' }), cfg), { kind: 'run' });
  });

  test('mention-patterns are case-insensitive substrings', () => {
    const withPatterns = accountConfig({ ...cfg, groups: { '-100': {} }, mentionPatterns: ['@clawbot', 'hey claw'] });
    assert.equal(isMentioned(groupMessage({ text: 'so @ClawBot, what now?' }), withPatterns), true);
    assert.equal(isMentioned(groupMessage({ text: 'HEY CLAW' }), withPatterns), true);
    assert.equal(isMentioned(groupMessage({ text: 'hey cla' }), withPatterns), false);
    assert.equal(isMentioned(groupMessage({ text: '@clawbot' }), cfg), false);
  });

  test('activation: stored value, else the group\'s require-mention, else the account\'s', () => {
    const grouped = accountConfig({ requireMention: true, groups: { '-100': { requireMention: false }, '-200': {} } });
    assert.equal(activationFor(groupMessage({ chatId: '-100' }), grouped), 'always');
    assert.equal(activationFor(groupMessage({ chatId: '-100' }), grouped, 'mention'), 'mention');
    assert.equal(activationFor(groupMessage({ chatId: '-200' }), grouped), 'mention');
    assert.equal(activationFor(groupMessage({ chatId: '-200' }), accountConfig({ requireMention: false })), 'always');
    assert.equal(activationFor(groupMessage({ chatId: '-300' }), accountConfig({ groups: { '*': { requireMention: false } } })), 'always');
  });

  test('SG2: a Signal group\'s require-mention is found by its groupInfo.groupId', () => {
    const grouped = accountConfig({ channel: 'signal', requireMention: true, groups: { 'abc=': { requireMention: false } } });
    assert.equal(activationFor(groupMessage({ channel: 'signal', chatId: 'group.YWJjPQ==', groupId: 'abc=' }), grouped), 'always');
  });

  test('always runs every group message; a stored mention gates again', () => {
    const always = accountConfig({ groups: { '-100': { requireMention: false } } });
    assert.deepEqual(gate(groupMessage({ text: 'hello' }), always), { kind: 'run' });
    assert.deepEqual(gate(groupMessage({ text: 'hello' }), always, 'mention'), { kind: 'context' });
    assert.deepEqual(gate(groupMessage({ text: 'hello' }), cfg, 'always'), { kind: 'run' });
  });
});

describe('GroupContext (C4)', () => {
  test('keeps the last history-limit messages per session, labelled, and hands them over once', () => {
    const context = new GroupContext(2);
    context.add(KEY, groupMessage({ text: 'one', senderLabel: 'Alice', senderId: '111' }));
    context.add(KEY, groupMessage({ text: 'two', senderLabel: 'Bob', senderId: '222' }));
    context.add(KEY, groupMessage({ text: 'three', senderLabel: 'Alice', senderId: '111', media: [{ kind: 'image' }] }));
    context.add('other', groupMessage({ text: 'elsewhere' }));
    assert.equal(context.take(KEY), [GROUP_CONTEXT_HEADER, '[Bob id:222] two', '[Alice id:111] three\n<media:image>'].join('\n'));
    assert.equal(GROUP_CONTEXT_HEADER, '[Chat messages since your last reply - for context]');
    assert.equal(context.take(KEY), undefined);
    assert.equal(context.take('other'), `${GROUP_CONTEXT_HEADER}\n[Alice id:111] elsewhere`);
  });

  test('each message is cut to 500 characters', () => {
    const context = new GroupContext(5);
    context.add(KEY, groupMessage({ text: 'x'.repeat(800) }));
    assert.equal(context.take(KEY), `${GROUP_CONTEXT_HEADER}\n[Alice id:111] ${'x'.repeat(500)}`);
  });

  test('history-limit 0 keeps nothing; clear forgets a session', () => {
    const none = new GroupContext(0);
    none.add(KEY, groupMessage());
    assert.equal(none.take(KEY), undefined);
    const context = new GroupContext(5);
    context.add(KEY, groupMessage());
    context.clear(KEY);
    assert.equal(context.take(KEY), undefined);
  });
});
