import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decideAccess, isOwner } from '../../../src/surfaces/channels/access.js';
import { accountConfig, approved, groupMessage, message, NOBODY } from './pipeline-fixtures.js';

// C2: DM policies, group policies with the groups map and the allow-from fallbacks, owners.

describe('DM access (C2)', () => {
  test('disabled drops every DM, even from allow-from', () => {
    const cfg = accountConfig({ dmPolicy: 'disabled', allowFrom: ['111'] });
    assert.equal(decideAccess(message(), cfg, NOBODY).kind, 'deny');
  });

  test('open accepts anyone (not as owner)', () => {
    const cfg = accountConfig({ dmPolicy: 'open', allowFrom: ['*'] });
    assert.deepEqual(decideAccess(message({ senderId: '999' }), cfg, NOBODY), { kind: 'allow', isOwner: false });
  });

  test('T2: allowlist ["222"] drops a DM from 111 without pairing', () => {
    const cfg = accountConfig({ dmPolicy: 'allowlist', allowFrom: ['222'] });
    const decision = decideAccess(message({ senderId: '111' }), cfg, NOBODY);
    assert.equal(decision.kind, 'deny');
    assert.deepEqual(decideAccess(message({ senderId: '222' }), cfg, NOBODY), { kind: 'allow', isOwner: true });
  });

  test('allowlist also accepts senders approved by pairing', () => {
    const cfg = accountConfig({ dmPolicy: 'allowlist', allowFrom: ['222'] });
    assert.deepEqual(decideAccess(message(), cfg, approved(['111'])), { kind: 'allow', isOwner: false });
  });

  test('allowlist with "*" accepts anyone', () => {
    const cfg = accountConfig({ dmPolicy: 'allowlist', allowFrom: ['*'] });
    assert.deepEqual(decideAccess(message({ senderId: '5' }), cfg, NOBODY), { kind: 'allow', isOwner: false });
  });

  test('T1: pairing starts the pairing flow for an unknown sender, then allows once approved', () => {
    const cfg = accountConfig({ dmPolicy: 'pairing' });
    assert.deepEqual(decideAccess(message(), cfg, NOBODY), { kind: 'pair' });
    assert.deepEqual(decideAccess(message(), cfg, approved(['111'], '111')), { kind: 'allow', isOwner: true });
    assert.deepEqual(decideAccess(message(), cfg, approved(['111'], '5')), { kind: 'allow', isOwner: false });
  });

  test('pairing accepts allow-from without pairing', () => {
    const cfg = accountConfig({ dmPolicy: 'pairing', allowFrom: ['111'] });
    assert.deepEqual(decideAccess(message(), cfg, NOBODY), { kind: 'allow', isOwner: true });
  });

  test('W8: a message marked noPairing (WhatsApp self-chat-mode) from an unknown sender is dropped, not paired', () => {
    const cfg = accountConfig({ channel: 'whatsapp', dmPolicy: 'pairing', allowFrom: ['+15551230000'] });
    assert.equal(decideAccess(message({ channel: 'whatsapp', senderId: '+15550000000', noPairing: true }), cfg, NOBODY).kind, 'deny');
    assert.deepEqual(decideAccess(message({ channel: 'whatsapp', senderId: '+15551230000', noPairing: true }), cfg, NOBODY), { kind: 'allow', isOwner: true });
    assert.deepEqual(decideAccess(message({ channel: 'whatsapp', senderId: '+15550000000' }), cfg, NOBODY), { kind: 'pair' });
  });

  test('SG2: a Signal DM from a uuid sender whose number is in allow-from is allowed (and its owner); a stranger pairs', () => {
    const cfg = accountConfig({ channel: 'signal', dmPolicy: 'pairing', allowFrom: ['+15551112222'] });
    const msg = message({ channel: 'signal', senderId: 'aaaa-1', chatId: 'aaaa-1', senderAliases: ['+15551112222'] });
    assert.deepEqual(decideAccess(msg, cfg, NOBODY), { kind: 'allow', isOwner: true });
    assert.deepEqual(decideAccess({ ...msg, senderAliases: ['+15553334444'] }, cfg, NOBODY), { kind: 'pair' });
  });

  test('Signal: uuid:<uuid> in allow-from matches the bare UUID, whatever the case', () => {
    const cfg = accountConfig({ channel: 'signal', dmPolicy: 'allowlist', allowFrom: ['uuid:abcd-ef'] });
    const from = (senderId: string) => decideAccess(message({ channel: 'signal', senderId }), cfg, NOBODY).kind;
    assert.equal(from('ABCD-EF'), 'allow');
    assert.equal(from('uuid:abcd-ef'), 'allow');
    assert.equal(from('abcd-e'), 'deny');
  });
});

describe('group access (C2)', () => {
  test('a group message never starts pairing, whatever the DM policy', () => {
    const cfg = accountConfig({ dmPolicy: 'pairing', groups: { '-100': {} } });
    assert.equal(decideAccess(groupMessage(), cfg, NOBODY).kind, 'deny');
  });

  test('disabled drops every group message', () => {
    const cfg = accountConfig({ groupPolicy: 'disabled', allowFrom: ['111'], groups: { '-100': {} } });
    assert.equal(decideAccess(groupMessage(), cfg, NOBODY).kind, 'deny');
  });

  test('open accepts any group and sender', () => {
    const cfg = accountConfig({ groupPolicy: 'open' });
    assert.deepEqual(decideAccess(groupMessage({ chatId: '-7', senderId: '9' }), cfg, NOBODY), { kind: 'allow', isOwner: false });
  });

  test('allowlist: the group must be a key of groups', () => {
    const cfg = accountConfig({ allowFrom: ['111'], groups: { '-100': {} } });
    assert.equal(decideAccess(groupMessage({ chatId: '-200' }), cfg, NOBODY).kind, 'deny');
    assert.deepEqual(decideAccess(groupMessage({ chatId: '-100' }), cfg, NOBODY), { kind: 'allow', isOwner: true });
  });

  test('SG2: a Signal group is looked up in groups by its groupInfo.groupId, not by its group.<base64> recipient', () => {
    const cfg = accountConfig({ channel: 'signal', allowFrom: ['+15551112222'], groups: { 'abc=': {} } });
    const msg = groupMessage({ channel: 'signal', chatId: 'group.YWJjPQ==', groupId: 'abc=', senderId: '+15551112222' });
    assert.equal(decideAccess(msg, cfg, NOBODY).kind, 'allow');
    assert.equal(decideAccess({ ...msg, groupId: 'other=' }, cfg, NOBODY).kind, 'deny');
  });

  test('SG2: a Signal group sender allowed by number is admitted though the message names it by uuid', () => {
    const cfg = accountConfig({ channel: 'signal', allowFrom: ['+15551112222'], groups: { 'abc=': {} } });
    const msg = groupMessage({ channel: 'signal', chatId: 'group.YWJjPQ==', groupId: 'abc=', senderId: 'aaaa-1', senderAliases: ['+15551112222'] });
    assert.deepEqual(decideAccess(msg, cfg, NOBODY), { kind: 'allow', isOwner: true });
  });

  test('allowlist with no groups allows no group (closed default)', () => {
    const cfg = accountConfig({ allowFrom: ['111'] });
    assert.equal(decideAccess(groupMessage(), cfg, NOBODY).kind, 'deny');
  });

  test('"*" in groups admits any group', () => {
    const cfg = accountConfig({ allowFrom: ['111'], groups: { '*': {} } });
    assert.equal(decideAccess(groupMessage({ chatId: '-999' }), cfg, NOBODY).kind, 'allow');
  });

  test('the group\'s own allow-from wins over group-allow-from and allow-from', () => {
    const cfg = accountConfig({ allowFrom: ['111'], groupAllowFrom: ['222'], groups: { '-100': { allowFrom: ['333'] } } });
    assert.equal(decideAccess(groupMessage({ senderId: '333' }), cfg, NOBODY).kind, 'allow');
    assert.equal(decideAccess(groupMessage({ senderId: '222' }), cfg, NOBODY).kind, 'deny');
    assert.equal(decideAccess(groupMessage({ senderId: '111' }), cfg, NOBODY).kind, 'deny');
  });

  test('without a group list, group-allow-from wins over allow-from', () => {
    const cfg = accountConfig({ allowFrom: ['111'], groupAllowFrom: ['222'], groups: { '-100': {} } });
    assert.equal(decideAccess(groupMessage({ senderId: '222' }), cfg, NOBODY).kind, 'allow');
    assert.equal(decideAccess(groupMessage({ senderId: '111' }), cfg, NOBODY).kind, 'deny');
  });

  test('without group lists, allow-from decides; "*" there means anyone', () => {
    const cfg = accountConfig({ allowFrom: ['*'], groups: { '-100': {} } });
    assert.deepEqual(decideAccess(groupMessage({ senderId: '7' }), cfg, NOBODY), { kind: 'allow', isOwner: false });
  });

  test('a group rule with "*" admits any sender of that group', () => {
    const cfg = accountConfig({ groups: { '-100': { allowFrom: ['*'] } } });
    assert.equal(decideAccess(groupMessage({ senderId: '7' }), cfg, NOBODY).kind, 'allow');
  });

  test('pairing approvals never grant group access (not even the bootstrapped owner)', () => {
    const cfg = accountConfig({ allowFrom: ['222'], groups: { '-100': {} } });
    assert.equal(decideAccess(groupMessage({ senderId: '111' }), cfg, approved(['111'], '111')).kind, 'deny');
  });

  test('a groups key that names an Object.prototype member is just an unknown group', () => {
    const cfg = accountConfig({ allowFrom: ['111'], groups: { '-100': {} } });
    assert.equal(decideAccess(groupMessage({ chatId: 'constructor' }), cfg, NOBODY).kind, 'deny');
  });
});

describe('owners (C2)', () => {
  test('explicit allow-from entries and the bootstrapped owner own the account; "*" does not', () => {
    const cfg = accountConfig({ allowFrom: ['*', '222'] });
    assert.equal(isOwner('222', cfg, {}), true);
    assert.equal(isOwner('111', cfg, {}), false);
    assert.equal(isOwner('111', cfg, { owner: '111' }), true);
  });

  test('an owner is reported in groups too (for /activation)', () => {
    const cfg = accountConfig({ groupPolicy: 'open' });
    assert.deepEqual(decideAccess(groupMessage(), cfg, approved([], '111')), { kind: 'allow', isOwner: true });
  });
});
