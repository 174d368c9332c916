import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  activationText, COMMANDS, helpText, parseActivation, parseCommand, statusText, whoamiText,
} from '../../../src/surfaces/channels/commands.js';

// C5: which texts are commands (case-insensitive names, Telegram's /cmd@bot), and the exact reply texts.

describe('parseCommand (C5)', () => {
  test('/<name> and /<name> <args>, trimmed, case-insensitive names', () => {
    assert.deepEqual(parseCommand('/status'), { name: 'status', args: '' });
    assert.deepEqual(parseCommand('  /STOP  '), { name: 'stop', args: '' });
    assert.deepEqual(parseCommand('/activation always'), { name: 'activation', args: 'always' });
    assert.deepEqual(parseCommand('/new and forget\nall that'), { name: 'new', args: 'and forget\nall that' });
  });

  test('every listed command parses', () => {
    for (const { name } of COMMANDS) assert.deepEqual(parseCommand(`/${name}`), { name, args: '' });
  });

  test('T3: /status@t_bot is ours (username case-insensitive), /status@other_bot is another bot\'s', () => {
    assert.deepEqual(parseCommand('/status@t_bot', 't_bot'), { name: 'status', args: '' });
    assert.deepEqual(parseCommand('/Status@T_Bot now', 't_bot'), { name: 'status', args: 'now' });
    assert.deepEqual(parseCommand('/status@t_bot', '@t_bot'), { name: 'status', args: '' });
    assert.deepEqual(parseCommand('/status@other_bot', 't_bot'), { kind: 'otherBot' });
    assert.deepEqual(parseCommand('/whatever@other_bot', 't_bot'), { kind: 'otherBot' });
  });

  test('without a username of our own (WhatsApp, Signal) /cmd@x is ordinary text', () => {
    assert.equal(parseCommand('/status@t_bot'), undefined);
  });

  test('unknown names and other slash text are ordinary text', () => {
    for (const text of ['/start', '/statuses', '/ status', 'status', 'hello /status', '/', '/status/x', '/new@', '']) {
      assert.equal(parseCommand(text, 't_bot'), undefined, text);
    }
  });

  test('/activation arguments', () => {
    assert.equal(parseActivation(' Mention '), 'mention');
    assert.equal(parseActivation('always'), 'always');
    assert.equal(parseActivation(''), undefined);
    assert.equal(parseActivation('sometimes'), undefined);
  });
});

describe('command replies (C5)', () => {
  test('names fit Telegram\'s command menu', () => {
    assert.deepEqual(COMMANDS.map((c) => c.name), ['new', 'reset', 'stop', 'status', 'whoami', 'help', 'activation']);
    for (const c of COMMANDS) {
      assert.match(c.name, /^[a-z0-9_]{1,32}$/);
      assert.ok(c.description.length >= 1 && c.description.length <= 256);
    }
  });

  test('/help lists one line per command', () => {
    const lines = helpText().split('\n');
    assert.equal(lines.length, COMMANDS.length);
    COMMANDS.forEach((c, i) => {
      assert.ok(lines[i].startsWith(`/${c.name} - `), lines[i]);
    });
  });

  test('/status, running and idle', () => {
    const facts = { sessionKey: 'agent:main:telegram:direct:111', queued: 2, model: 'mock', channel: 'telegram', accountId: 'default', state: 'online' } as const;
    assert.equal(statusText({ ...facts, running: 'tg:default:42:7' }), [
      'Session: agent:main:telegram:direct:111', 'Run: running tg:default:42:7', 'Queued: 2', 'Model: mock',
      'Channel: telegram/default online',
    ].join('\n'));
    assert.equal(statusText({ ...facts, queued: 0 }).split('\n')[1], 'Run: idle');
  });

  test('/whoami and /activation', () => {
    assert.equal(whoamiText({ channel: 'telegram', accountId: 'default', senderId: '111', sessionKey: 'agent:main:telegram:direct:111' }),
      'Channel: telegram (account default)\nYour id: 111\nSession: agent:main:telegram:direct:111');
    assert.equal(activationText('always'), 'Activation: always');
  });
});
