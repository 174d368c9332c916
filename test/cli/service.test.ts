import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { assertBuilt, CLI, exits, failsWith, killAll, runCli, tempDir } from '../helpers/cli.js';

// `clawgate service print systemd|launchd`: a unit with absolute node, CLI, state dir and config paths that
// restarts on failure but not on exit 78 (lock held, unusable state dir or port), with the gateway's Node flags
// (src/cli/node-flags.ts).

describe('clawgate service print', () => {
  before(() => assertBuilt());
  after(() => killAll());

  test('systemd: ExecStart with absolute paths, Restart=on-failure, RestartPreventExitStatus=78', async () => {
    const dir = join(tempDir(), 'state with space');
    const r = await runCli(['service', 'print', 'systemd', '--state-dir', dir, '--config', 'clawgate.yaml']);
    exits(r, 0);
    assert.equal(r.stderr, '');
    const lines = r.stdout.split('\n');
    const exec = lines.find((l) => l.startsWith('ExecStart='));
    assert.equal(exec, `ExecStart="${process.execPath}" "--max-semi-space-size=8" "--gc-memory-reducer-start-delay-ms=1000" "--expose-gc" "${realpathSync(CLI)}" "gateway" "--state-dir" "${dir}" "--config" "${join(process.cwd(), 'clawgate.yaml')}"`);
    for (const line of ['[Unit]', '[Service]', '[Install]', 'Restart=on-failure', 'RestartPreventExitStatus=78', 'WantedBy=default.target']) {
      assert.ok(lines.includes(line), `missing line ${line}:\n${r.stdout}`);
    }
    assert.doesNotMatch(r.stdout, /--token/, 'the token is never put in the unit');
  });

  test('launchd: ProgramArguments and KeepAlive { SuccessfulExit: false }', async () => {
    const dir = tempDir();
    const r = await runCli(['service', 'print', 'launchd', '--state-dir', dir]);
    exits(r, 0);
    const args = [process.execPath, '--max-semi-space-size=8', '--gc-memory-reducer-start-delay-ms=1000', '--expose-gc', realpathSync(CLI), 'gateway', '--state-dir', dir].map((a) => `    <string>${a}</string>`).join('\n');
    assert.ok(r.stdout.includes(`<key>ProgramArguments</key>\n  <array>\n${args}\n  </array>`), r.stdout);
    assert.match(r.stdout, /<key>KeepAlive<\/key>\s*<dict>\s*<key>SuccessfulExit<\/key>\s*<false\/>\s*<\/dict>/);
    assert.match(r.stdout, /^<\?xml version="1.0"/);
  });

  test('usage errors → exit 2', async () => {
    failsWith(await runCli(['service']), 2, /missing command: print/);
    failsWith(await runCli(['service', 'print']), 2, /systemd or launchd/);
    failsWith(await runCli(['service', 'print', 'upstart']), 2, /not "upstart"/);
    failsWith(await runCli(['service', 'print', 'systemd', '--nope']), 2, /--nope/);
  });
});
