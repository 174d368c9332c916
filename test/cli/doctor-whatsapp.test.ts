import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkWhatsApp } from '../../src/cli/doctor-checks.js';
import { openDb } from '../../src/store/db.js';

// `clawgate doctor` reports each enabled WhatsApp account as linked (credentials in the state dir) or not, reading
// the database read-only.

test('doctor: a WhatsApp account with stored credentials is linked, one without is a problem with the login command', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-doctor-wa-'));
  assert.deepEqual((await checkWhatsApp(dir, [{ accountId: 'default' }])).map((r) => r.ok), [false], 'no database yet: not linked');
  const db = openDb(dir);
  db.prepare('INSERT INTO wa_creds (account_id, creds, updated_at) VALUES (?, ?, ?)').run('default', '{}', 0);
  db.close();
  const [linked, other] = await checkWhatsApp(dir, [{ accountId: 'default' }, { accountId: 'work' }]);
  assert.deepEqual([linked!.ok, linked!.detail], [true, 'whatsapp/default: linked']);
  assert.equal(other!.ok, false);
  assert.equal(other!.detail, 'whatsapp/work: not linked');
  assert.match(other!.fix ?? '', /clawgate channels login whatsapp --account work/);
});
