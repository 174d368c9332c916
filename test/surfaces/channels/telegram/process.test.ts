import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { assertBuilt, CliProcess, killAll, tempDir } from '../../../helpers/cli.js';
import { type FakeTelegram, startFakeTelegram } from '../../../helpers/fake-telegram.js';
import { dm, sentTexts } from '../../../helpers/telegram-gateway.js';
import { until } from '../../../helpers/wait.js';

// The real `clawgate gateway` process with a --config file whose api-root is the fake Bot API (issue 9,
// acceptance 3 and 4): a DM answered end to end, and a SIGKILL in the middle of a queue of updates that
// neither loses one nor answers one twice.

after(killAll);

function configFile(dir: string, fake: FakeTelegram, extra: string[] = []): string {
  const file = join(dir, 'clawgate.yaml');
  writeFileSync(file, [
    'channels:',
    '  telegram:',
    `    bot-token: "${fake.token}"`,
    `    api-root: "${fake.apiRoot}"`,
    '    dm-policy: allowlist',
    '    allow-from: ["111"]',
    '    streaming: off',
    ...extra,
  ].join('\n'));
  return file;
}

function gateway(stateDir: string, config: string, extra: string[] = []): CliProcess {
  return new CliProcess(['gateway', '--port', '0', '--state-dir', stateDir, '--config', config, '--log-level', 'info', ...extra]);
}

test('acceptance 4: a gateway started with --config pointing api-root at the fake answers a DM end to end', async (t) => {
  assertBuilt();
  const fake = await startFakeTelegram({ username: 't_bot' });
  const dir = tempDir('clawgate-tg-');
  const proc = gateway(join(dir, 'state'), configFile(dir, fake));
  t.after(async () => { proc.kill(); await proc.exit().catch(() => {}); await fake.close(); });
  await proc.ready();
  fake.queueUpdate(dm(111, 'hello'));
  await fake.waitForCalls('sendMessage', 1, 20_000);
  assert.deepEqual(sentTexts(fake, 111), ['Echo: hello']);
  assert.ok(!proc.stdout.includes(fake.token.split(':')[1]!), 'the token never reaches the log');
  proc.kill('SIGTERM');
  const exited = await proc.exit(15_000);
  assert.equal(exited.code, 0);
});

test('acceptance 3: SIGKILL after replies to updates 1-2; the restart answers update 3 once and never 1-2 again', async (t) => {
  assertBuilt();
  const fake = await startFakeTelegram({ username: 't_bot' });
  const dir = tempDir('clawgate-tg-crash-');
  const config = configFile(dir, fake);
  const stateDir = join(dir, 'state');
  // one session (one sender), runs of ~1.2 s each (the mock streams 2 words at 600 ms): strictly one after another
  const first = gateway(stateDir, config, ['--mock-delay-ms', '600']);
  let second: CliProcess | undefined;
  t.after(async () => {
    first.kill('SIGKILL');
    second?.kill('SIGKILL');
    await fake.close();
  });
  await first.ready();
  for (const text of ['one', 'two', 'three']) fake.queueUpdate(dm(111, text));
  await fake.waitForCalls('sendMessage', 2, 30_000);
  first.kill('SIGKILL');
  await first.exit();
  assert.deepEqual(sentTexts(fake, 111), ['Echo: one', 'Echo: two'], 'killed before the third reply');
  second = gateway(stateDir, config);
  await second.ready();
  await fake.waitForCalls('sendMessage', 3, 30_000);
  // a later message proves the queue is drained: nothing else was sent in between
  fake.queueUpdate(dm(111, 'four'));
  await until(() => sentTexts(fake, 111).length >= 4, 'the reply to four', 30_000);
  assert.deepEqual(sentTexts(fake, 111), ['Echo: one', 'Echo: two', 'Echo: three', 'Echo: four']);
  const offsets = fake.callsOf('getUpdates').map((c) => Number(c.body?.offset ?? 0));
  assert.ok(offsets.at(-1)! >= 5, `the watermark moved past every handled update (${offsets.join(',')})`);
});

test('SIGTERM during a DM\'s run: the run finishes within the grace period, and its reply is sent once by the next start', async (t) => {
  assertBuilt();
  const fake = await startFakeTelegram({ username: 't_bot' });
  const dir = tempDir('clawgate-tg-term-');
  const config = configFile(dir, fake);
  const stateDir = join(dir, 'state');
  const first = gateway(stateDir, config, ['--mock-delay-ms', '300']); // 4 words: a run of ~1.2 s
  let second: CliProcess | undefined;
  t.after(async () => {
    first.kill('SIGKILL');
    second?.kill('SIGKILL');
    await fake.close();
  });
  await first.ready();
  fake.queueUpdate(dm(111, 'w0 w1 w2 w3'));
  await fake.waitForCalls('sendChatAction', 1, 20_000); // typing: the run has started
  first.kill('SIGTERM');
  assert.equal((await first.exit(15_000)).code, 0);
  assert.deepEqual(sentTexts(fake, 111), [], 'the account stopped before the run ended');
  second = gateway(stateDir, config);
  await second.ready();
  await fake.waitForCalls('sendMessage', 1, 20_000);
  fake.queueUpdate(dm(111, 'next'));
  await until(() => sentTexts(fake, 111).length >= 2, 'the reply to next', 20_000);
  assert.deepEqual(sentTexts(fake, 111), ['Echo: w0 w1 w2 w3', 'Echo: next']);
});
