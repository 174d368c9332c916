import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decideAccess } from '../../../src/surfaces/channels/access.js';
import { COMMANDS, parseCommand } from '../../../src/surfaces/channels/commands.js';
import { cutText, runText } from '../../../src/surfaces/channels/run-input.js';
import { accountConfig, approved, groupMessage, message } from './pipeline-fixtures.js';

// Properties of the pure pipeline decisions over generated input (bounded runs, fixed seed).

const RUNS = { numRuns: 300, seed: 20261206 };
const id = fc.stringMatching(/^-?[0-9]{1,6}$/);
const ids = fc.array(fc.oneof(id, fc.constant('*')), { maxLength: 3 });
const config = fc.record({
  dmPolicy: fc.constantFrom('pairing', 'allowlist', 'open', 'disabled'),
  groupPolicy: fc.constantFrom('allowlist', 'open', 'disabled'),
  allowFrom: ids,
  groupAllowFrom: fc.option(ids, { nil: undefined }),
  groups: fc.dictionary(fc.oneof(id, fc.constant('*')), fc.record({ allowFrom: fc.option(ids, { nil: undefined }) })),
}).map((c) => accountConfig(c));

test('pairing is only ever proposed for DMs under dm-policy pairing; approvals never change a group decision', () => {
  fc.assert(fc.property(config, id, id, fc.boolean(), (cfg, sender, chat, isApproved) => {
    const known = approved(isApproved ? [sender] : [], isApproved ? sender : undefined);
    const dm = decideAccess(message({ senderId: sender, chatId: sender }), cfg, known);
    if (dm.kind === 'pair') assert.equal(cfg.dmPolicy, 'pairing');
    const inGroup = decideAccess(groupMessage({ senderId: sender, chatId: chat }), cfg, known);
    const stranger = decideAccess(groupMessage({ senderId: sender, chatId: chat }), cfg, approved([]));
    assert.notEqual(inGroup.kind, 'pair');
    assert.equal(inGroup.kind, stranger.kind);
  }), RUNS);
});

test('a DM without media or reply reaches the model as its trimmed text, nothing added', () => {
  fc.assert(fc.property(fc.string(), (text) => {
    assert.equal(runText(message({ text })), text.trim());
  }), RUNS);
});

test('parseCommand never throws and only ever names a listed command', () => {
  const names = COMMANDS.map((c) => c.name as string);
  const slashy = fc.tuple(fc.constantFrom('/', ' /', 'x'), fc.string(), fc.constantFrom('', '@t_bot', '@Other', ' args')).map((p) => p.join(''));
  fc.assert(fc.property(fc.oneof(fc.string(), slashy), (text) => {
    const parsed = parseCommand(text, 't_bot');
    if (parsed && 'name' in parsed) assert.ok(names.includes(parsed.name));
  }), RUNS);
});

test('cutText keeps at most max code units and never leaves a lone high surrogate', () => {
  fc.assert(fc.property(fc.string({ unit: 'grapheme' }), fc.integer({ min: 1, max: 40 }), (text, max) => {
    const cut = cutText(text, max);
    assert.ok(cut.length <= max && text.startsWith(cut));
    const last = cut.charCodeAt(cut.length - 1);
    assert.ok(!(last >= 0xd800 && last <= 0xdbff));
  }), RUNS);
});
