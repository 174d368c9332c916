import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getJson, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { assertErrorBody, P, post, status, uniq } from '../helpers/http-plane.js';
import { within } from '../helpers/ws-client.js';

// Issue 6, item 2, on a real full disk: the state dir on a 2 MiB tmpfs, filled to the last byte by a filler
// file. Needs `mount` (root, as in CI); where mount is refused the test is skipped with the reason (it tries
// the mount every time, so under CI it is skipped only when mount itself is refused).

/** POST a message; bounded, so a request that never answers fails the test instead of hanging it. */
const send = (url: string, body: unknown) => within(post(url, `${P}/messages`, body), 'the answer to POST /messages');

/** Writes `path` until the filesystem has no byte left (bounded: at most ~2 MiB in shrinking chunks). */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const size of [65_536, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 1);
      for (let i = 0; i < 4096; i++) {
        try {
          writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

test('a real full tmpfs state dir: 507 and /readyz 503, then the same request_id runs once the filler is gone', async (t) => {
  const mnt = mkdtempSync(join(tmpdir(), 'clawgate-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt], { stdio: 'pipe' });
  } catch (err) {
    rmSync(mnt, { recursive: true, force: true });
    const why = String((err as { stderr?: Buffer }).stderr ?? err).trim().split('\n')[0];
    t.skip(`mount -t tmpfs was refused (${why})${process.env.CI === 'true' ? ' under CI=true' : ''}`);
    return;
  }
  let tg: TestGateway | undefined;
  try {
    const stateDir = join(mnt, 'state');
    tg = await startTestGateway({ stateDir });
    const s = uniq('s-tmpfs');
    const warm = await send(tg.url, { from: 'alice', session_id: s, text: 'before', request_id: uniq('w') });
    assert.equal(warm.status, 200, JSON.stringify(warm.json));

    const filler = join(mnt, 'filler');
    fill(filler);
    const id = uniq('full');
    const refused = await send(tg.url, { from: 'alice', session_id: s, text: 'on a full disk', request_id: id });
    assertErrorBody(refused, 507, 'insufficient_storage');
    assert.match(refused.json.error.message, /^disk full or failing: cannot write to the state dir .*\(SQLITE_(FULL|IOERR)/);
    assert.ok(refused.json.error.message.includes(stateDir));
    assert.equal((await status(tg.url, id)).status, 404);
    const ready = await getJson(`${tg.url}/readyz`);
    assert.deepEqual([ready.status, ready.json.failing], [503, ['storage']]);

    rmSync(filler);
    const again = await send(tg.url, { from: 'alice', session_id: s, text: 'on a full disk', request_id: id });
    assert.equal(again.status, 200, JSON.stringify(again.json));
    assert.equal(again.json.reply, 'Echo: on a full disk');
    assert.equal((await getJson(`${tg.url}/readyz`)).status, 200);
  } finally {
    await tg?.close(); // closes the database, so the mount is no longer busy
    execFileSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  }
});
