import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actorDirectory } from '../../src/actors/supervise.js';
import { dm, startTelegramGateway } from '../helpers/telegram-gateway.js';
import { until } from '../helpers/wait.js';

// What the registries tell the inspector beyond an actor's snapshot (web-surfaces.md I1, I5): a channel
// account's describe() counts messages in and out (the channel row's "messages in / out").

test('I5: a channel account describes its messages in and out', async (t) => {
  const g = await startTelegramGateway({ account: { dmPolicy: 'allowlist', allowFrom: ['111'] } });
  t.after(() => g.close());
  const entry = () => actorDirectory.list().find((e) => e.kind === 'channel' && e.id === 'telegram:default');
  await until(() => entry() !== undefined, 'the account actor');
  assert.deepEqual(entry()!.describe?.(), { messagesIn: 0, messagesOut: 0, activeRuns: 0 });
  g.fake.queueUpdate(dm(111, 'hello'));
  await g.fake.waitForCalls('sendMessage', 1);
  await until(() => (entry()!.describe?.().messagesOut as number) >= 1, 'the reply counted');
  assert.equal(entry()!.describe?.().messagesIn, 1);
});
