import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkSignal } from '../../src/cli/doctor-signal.js';
import { startFakeSignal } from '../helpers/fake-signal.js';
import { freePort } from '../helpers/cli.js';

// `clawgate doctor` for Signal accounts: the server answers /v1/about and lists the account → ok with its mode;
// the account missing from /v1/accounts, or nothing listening at api-url → a problem with its fix.

test('doctor: a reachable server with the account is ok; an unregistered number and a dead server are problems', async (t) => {
  const fake = await startFakeSignal({ mode: 'json-rpc' });
  t.after(() => fake.close());
  const dead = `http://127.0.0.1:${await freePort()}`;
  const [ok, unregistered, down] = await checkSignal([
    { accountId: 'default', apiUrl: fake.apiUrl, account: fake.account },
    { accountId: 'other', apiUrl: fake.apiUrl, account: '+15559999' },
    { accountId: 'down', apiUrl: dead, account: fake.account },
  ], 2000);
  assert.equal(ok!.ok, true, ok!.detail);
  assert.match(ok!.detail, /signal\/default: \+15550001 on .* \(mode json-rpc\)/);
  assert.equal(unregistered!.ok, false);
  assert.match(unregistered!.detail, /account \+15559999 is not registered or linked/);
  assert.equal(down!.ok, false);
  assert.match(down!.detail, /unreachable at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
});
