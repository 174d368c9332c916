import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACTIVATION_GROUPS_ONLY_TEXT, busyText, EMPTY_REPLY_TEXT, failedReplyText, NEW_SESSION_TEXT, NOTHING_TO_STOP_TEXT,
  PAIRING_APPROVED_TEXT, pairingReplyText, STOPPED_TEXT,
} from '../../../src/surfaces/channels/replies.js';

// The channel layer's own texts: C3 pairing, C5 confirmations, C7 notices, §1.4 busy.

describe('pairing reply (C3)', () => {
  test('Telegram: the five lines, matching T1', () => {
    const text = pairingReplyText('telegram', '111', 'ABCD2345');
    assert.equal(text, [
      'Clawgate: access not configured.',
      'Your Telegram user id: 111',
      'Pairing code: ABCD2345',
      'Ask the owner to approve with:',
      'clawgate pairing approve telegram ABCD2345',
    ].join('\n'));
    assert.match(text, /Pairing code: [A-HJ-NP-Z2-9]{8}/);
  });

  test('WhatsApp and Signal name the sender by number or id', () => {
    const second = (channel: 'whatsapp' | 'signal', id: string) => pairingReplyText(channel, id, 'ABCD2345').split('\n')[1];
    assert.equal(second('whatsapp', '+15551230000'), 'Your WhatsApp number: +15551230000');
    assert.equal(second('signal', '+15551230000'), 'Your Signal number: +15551230000');
    assert.equal(second('signal', 'ABCD-EF01'), 'Your Signal id: uuid:abcd-ef01');
    assert.equal(second('signal', 'uuid:abcd-ef01'), 'Your Signal id: uuid:abcd-ef01');
    assert.equal(pairingReplyText('signal', '+1', 'X').split('\n')[4], 'clawgate pairing approve signal X');
  });
});

describe('notices and confirmations', () => {
  test('exact texts', () => {
    assert.equal(PAIRING_APPROVED_TEXT, 'Access approved. Send a message to start chatting.');
    assert.equal(EMPTY_REPLY_TEXT, "I didn't produce a visible reply. Please try again.");
    assert.equal(failedReplyText('stream_error'), 'Sorry, something went wrong (stream_error). Please try again.');
    assert.equal(failedReplyText(''), 'Sorry, something went wrong (internal_error). Please try again.');
    assert.equal(busyText(3), 'Busy: 3 messages are waiting. Please try again later.');
    assert.equal(STOPPED_TEXT, 'Stopped.');
    assert.equal(NOTHING_TO_STOP_TEXT, 'Nothing to stop.');
    assert.equal(NEW_SESSION_TEXT, 'Started a new session.');
    assert.equal(ACTIVATION_GROUPS_ONLY_TEXT, 'Activation applies to groups only.');
  });
});
