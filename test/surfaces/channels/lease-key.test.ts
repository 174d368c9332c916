import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChannelAccountConfig } from '../../../src/core/channel.js';
import { StartupError } from '../../../src/core/startup-error.js';
import { accountLeaseKey, accountLeaseKeys } from '../../../src/surfaces/channels/lease-key.js';
import { accountConfig } from './pipeline-fixtures.js';

// Cluster mode: an account's lease key names the platform identity that must not run twice.

const telegram = (accountId: string, botToken: string, enabled = true) =>
  ({ ...accountConfig(), channel: 'telegram', accountId, enabled, botToken } as ChannelAccountConfig);

test('lease keys: the Telegram bot id (never the token\'s secret), the Signal number, the WhatsApp account id', () => {
  const key = accountLeaseKey(telegram('default', '123:secret-part'));
  assert.equal(key, 'telegram:bot:123');
  assert.ok(!key.includes('secret'));
  assert.equal(accountLeaseKey({ ...accountConfig(), channel: 'signal', account: '+15550001' } as ChannelAccountConfig), 'signal:+15550001');
  assert.equal(accountLeaseKey({ ...accountConfig(), channel: 'whatsapp', accountId: 'work' }), 'whatsapp:work');
});

test('two enabled accounts on one bot are a start-up error naming both; a disabled one does not count', () => {
  assert.throws(() => accountLeaseKeys([telegram('default', '123:a'), telegram('second', '123:b')]),
    (err: Error) => err instanceof StartupError && /telegram:default and telegram:second/.test(err.message) && !err.message.includes('123:a'));
  const keys = accountLeaseKeys([telegram('default', '123:a'), telegram('old', '123:b', false), telegram('other', '456:c')]);
  assert.deepEqual([...keys], [['telegram:default', 'telegram:bot:123'], ['telegram:other', 'telegram:bot:456']]);
});
