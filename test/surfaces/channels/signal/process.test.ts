import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { assertBuilt, CliProcess, killAll, tempDir } from '../../../helpers/cli.js';
import { type FakeSignalMode, startFakeSignal } from '../../../helpers/fake-signal.js';

// The real `clawgate gateway` process with a --config file whose signal api-url is a fake signal-cli-rest-api on
// 127.0.0.1 (issue 11, acceptance 2): in each receive mode, a DM and a group message are answered end to end.

after(killAll);

const ALICE = '9f1c2a7e-0000-4000-8000-00000000a11c';

for (const mode of ['json-rpc', 'normal'] as FakeSignalMode[]) {
  test(`acceptance 2 (${mode}): the gateway process answers a Signal DM and a group message`, async (t) => {
    assertBuilt();
    const fake = await startFakeSignal({ mode });
    const dir = tempDir('clawgate-signal-');
    const config = join(dir, 'clawgate.yaml');
    writeFileSync(config, [
      'channels:',
      '  signal:',
      `    api-url: "${fake.apiUrl}"`,
      `    account: "${fake.account}"`,
      '    dm-policy: allowlist',
      `    allow-from: ["uuid:${ALICE}"]`,
      '    groups: { "abc=": {} }',
    ].join('\n'));
    const proc = new CliProcess(['gateway', '--port', '0', '--state-dir', join(dir, 'state'), '--config', config, '--log-level', 'info']);
    t.after(async () => { proc.kill('SIGKILL'); await proc.exit().catch(() => {}); await fake.close(); });
    const port = await proc.ready(20_000);
    // wait until the account is online (/readyz lists it while it is not)
    for (let i = 0; ; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.status === 200) break;
      if (i > 400) throw new Error(`signal account never came online: ${await res.text()}\n${proc.stdout}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const now = Date.now();
    fake.push({ source: ALICE, sourceUuid: ALICE, sourceNumber: '+15551230000', sourceName: 'Alice', timestamp: now, dataMessage: { timestamp: now, message: 'hello' } });
    await fake.waitForCalls((c) => c.path === '/v2/send', 1, 20_000);
    fake.push({
      source: ALICE, sourceUuid: ALICE, sourceNumber: '+15551230000', sourceName: 'Alice', timestamp: now + 1,
      dataMessage: { timestamp: now + 1, message: '\uFFFC hi all', groupInfo: { groupId: 'abc=' }, mentions: [{ number: fake.account, start: 0, length: 1, name: 'Bot' }] },
    });
    await fake.waitForCalls((c) => c.path === '/v2/send', 2, 20_000);
    const sends = fake.sends();
    assert.deepEqual(sends[0].recipients, [ALICE]);
    assert.equal(sends[0].message, 'Echo: hello');
    assert.deepEqual(sends[1].recipients, ['group.YWJjPQ==']);
    assert.match(sends[1].message, /^Echo: \[Alice id:/);
  });
}
