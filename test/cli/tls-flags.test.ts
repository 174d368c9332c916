import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertBuilt, childEnv, failsWith, killAll, runCli, tempDir } from '../helpers/cli.js';

// `clawgate gateway --tls-cert/--tls-key`: a missing partner flag or an unreadable file is a configuration
// error (exit 2, one line naming the file), before anything starts.

describe('clawgate gateway TLS flags', () => {
  let dir: string;
  before(() => {
    assertBuilt();
    dir = tempDir('clawgate-tls-cli-');
  });
  after(killAll);

  it('exits 2 when only one of --tls-cert and --tls-key is given', async () => {
    const r = await runCli(['gateway', '--port', '0', '--state-dir', join(dir, 's1'), '--tls-cert', join(dir, 'c.pem')], childEnv());
    failsWith(r, 2, /--tls-cert and --tls-key go together/);
  });

  it('exits 2 naming a TLS file that cannot be read', async () => {
    const missing = join(dir, 'nope.pem');
    const r = await runCli(['gateway', '--port', '0', '--state-dir', join(dir, 's2'), '--tls-cert', missing, '--tls-key', missing], childEnv());
    failsWith(r, 2, /cannot read the TLS certificate file .*nope\.pem: ENOENT/);
  });
});
