import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertBuilt, failsWith, killAll, runCli, tempDir, type Exited } from '../helpers/cli.js';
import { startCliGatewayOn } from '../helpers/cli-gateway.js';

// Issue 8, acceptance 1 and 2, against real `clawgate gateway` processes (build first): one gateway per state
// dir (a second one exits 78 naming the holder, a stale lock is taken over), and every start-up failure is one
// line on stderr with the path involved, the documented exit code, and no stack trace.

const TOKEN = 'state-lock-test-secret-0123456789abcdefXYZ';
const gatewayOn = (stateDir: string, ...extra: string[]) =>
  ['gateway', '--port', '0', '--state-dir', stateDir, '--token', TOKEN, ...extra];

before(() => assertBuilt());
after(async () => { await killAll(); });

/** Fails with exit 78, one line naming `path`, no stack trace (no `    at ` lines either). */
function configFailure(r: Exited, path: string, pattern?: RegExp): void {
  failsWith(r, 78, pattern);
  assert.ok(r.stderr.includes(path), `the path ${path} in ${JSON.stringify(r.stderr)}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
}

describe('one gateway per state dir', () => {
  test('a second gateway exits 78 naming the first one\'s pid; after a SIGKILL a third takes the stale lock', async () => {
    const stateDir = tempDir();
    const first = await startCliGatewayOn(stateDir, TOKEN);
    const firstPid = first.proc.child.pid!;

    // the guard is the acceptance bound (5 s), not a measurement
    const second = await runCli(gatewayOn(stateDir), undefined, 5_000);
    configFailure(second, stateDir, new RegExp(`pid ${firstPid}\\b`));
    assert.equal((await fetch(`${first.url}/healthz`)).status, 200, 'the first gateway still serves');

    first.proc.kill('SIGKILL');
    await first.proc.exit();
    assert.equal(JSON.parse(readFileSync(join(stateDir, 'gateway.lock'), 'utf8')).pid, firstPid, 'SIGKILL leaves the lock');

    const third = await startCliGatewayOn(stateDir, TOKEN);
    assert.equal((await fetch(`${third.url}/healthz`)).status, 200);
    const takeover = third.proc.logLines().find((l) => l.msg === 'took over the lock of a gateway that is gone');
    assert.ok(takeover, `a takeover line in ${third.proc.stdout}`);
    assert.equal(takeover.level, 40, 'logged at warn');
    assert.equal((takeover.stale as { pid: number }).pid, firstPid);

    // a graceful stop frees the state dir
    third.proc.kill('SIGTERM');
    assert.equal((await third.proc.exit()).code, 0);
    assert.equal(existsSync(join(stateDir, 'gateway.lock')), false);
  });
});

describe('start-up failures a person can act on', () => {
  test('a bad flag exits 2', async () => {
    failsWith(await runCli(gatewayOn(tempDir(), '--no-such-flag')), 2, /no-such-flag/);
  });

  test('an unknown config key exits 2', async () => {
    const dir = tempDir();
    const file = join(dir, 'clawgate.json');
    writeFileSync(file, JSON.stringify({ 'no-such-key': 1 }));
    failsWith(await runCli(gatewayOn(join(dir, 'state'), '--config', file)), 2, /no-such-key/);
  });

  test('a corrupt database exits 78, names the file and how to move it aside, and is left untouched', async () => {
    const stateDir = tempDir();
    const db = join(stateDir, 'clawgate.db');
    const garbage = Buffer.from('this is not a sqlite database, just garbage bytes '.repeat(200));
    writeFileSync(db, garbage);
    const r = await runCli(gatewayOn(stateDir));
    configFailure(r, db, /mv /);
    assert.deepEqual(readFileSync(db), garbage, 'the file is not overwritten');
    assert.equal(existsSync(join(stateDir, 'gateway.lock')), false, 'the failed start freed the lock');
  });

  test('a state dir that is a regular file exits 78 with its path', async () => {
    const file = join(tempDir(), 'state');
    writeFileSync(file, 'I am a file');
    configFailure(await runCli(gatewayOn(file)), file, /not a directory/);
    configFailure(await runCli(gatewayOn(join(file, 'below'))), join(file, 'below'), /not a directory/);
  });
});
