import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPTION_HELP, OPTIONS } from '../../src/config.js';
import { CONNECTION_OPTIONS } from '../../src/cli/gateway-client.js';
import { assertBuilt, exits, killAll, ROOT, runCli } from '../helpers/cli.js';

// `--help` of every command lists every flag it takes, with its default; the README's flags table and the
// option table (src/config/options.ts) name the same flags, both ways.

/** The flags named in the first cell of README.md's `| \`--flag …\` | default | meaning |` rows. */
function readmeFlags(): Set<string> {
  const flags = new Set<string>();
  for (const line of readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n')) {
    if (!line.startsWith('| `--')) continue;
    const first = line.split(/(?<!\\)\|/)[1];
    for (const m of first.matchAll(/--[a-z][a-z0-9-]*/g)) flags.add(m[0]);
  }
  return flags;
}

/** The `--flag` words in a help text. */
const helpFlags = (text: string) => new Set([...text.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)].map((m) => m[0]));

async function help(args: string[]): Promise<string> {
  const r = await runCli(args);
  exits(r, 0);
  assert.equal(r.stderr, '');
  return r.stdout;
}

const GATEWAY_FLAGS = [...Object.keys(OPTIONS).map((n) => `--${n}`), '--config'];

describe('--help lists every flag', () => {
  before(() => assertBuilt());
  after(() => killAll());

  test('every option in the table has help text and a default', () => {
    const missing = Object.keys(OPTIONS).filter((n) => OPTION_HELP[n as keyof typeof OPTIONS]?.default === undefined);
    assert.deepEqual(missing, [], 'add these to OPTION_HELP in src/config/option-help.ts');
  });

  test('gateway --help and doctor --help: every option of the table, each on its own line with its default', async () => {
    for (const args of [['gateway', '--help'], ['doctor', '--help']]) {
      const text = await help(args);
      for (const flag of GATEWAY_FLAGS) {
        const line = text.split('\n').findIndex((l) => l.startsWith(`  ${flag} `) || l === `  ${flag}`);
        assert.ok(line >= 0, `${args[0]} --help misses ${flag}`);
        const entry = text.split('\n').slice(line, line + 3).join('\n');
        assert.match(entry, /\(default [^)]+\)/, `${args[0]} --help: ${flag} has no default:\n${entry}`);
      }
    }
  });

  test('every flag in the README\'s flags table is in the help of a command; every gateway option is in the README', async () => {
    const readme = readmeFlags();
    assert.ok(readme.size >= 20, `README flags table not found (${readme.size} flags)`);
    const gateway = helpFlags(await help(['gateway', '--help']));
    const others = new Set<string>();
    for (const cmd of ['doctor', 'status', 'devices', 'nodes', 'service']) for (const f of helpFlags(await help([cmd, '--help']))) others.add(f);
    const notInHelp = [...readme].filter((f) => !gateway.has(f) && !others.has(f));
    assert.deepEqual(notInHelp, [], 'README flags that no --help lists');
    const notInReadme = GATEWAY_FLAGS.filter((f) => !readme.has(f));
    assert.deepEqual(notInReadme, [], 'gateway options missing from the README flags table');
  });

  test('the owner commands list their connection flags; clawgate --help lists every command', async () => {
    for (const cmd of ['status', 'devices', 'nodes', 'channels', 'pairing']) {
      const flags = helpFlags(await help([cmd, '--help']));
      for (const name of Object.keys(CONNECTION_OPTIONS)) assert.ok(flags.has(`--${name}`) || name === 'help', `${cmd} --help misses --${name}`);
    }
    assert.ok(helpFlags(await help(['nodes', '--help'])).has('--timeout-ms'));
    for (const f of ['--probe', '--account']) assert.ok(helpFlags(await help(['channels', '--help'])).has(f), `channels --help misses ${f}`);
    for (const f of ['--account', '--notify']) assert.ok(helpFlags(await help(['pairing', '--help'])).has(f), `pairing --help misses ${f}`);
    const service = helpFlags(await help(['service', '--help']));
    for (const f of ['--state-dir', '--config']) assert.ok(service.has(f), `service --help misses ${f}`);
    const top = await help(['--help']);
    for (const cmd of ['gateway', 'doctor', 'status', 'devices', 'nodes list | approve <requestId> | reject <requestId>', 'channels status', 'pairing list', 'service print systemd|launchd', 'version']) {
      assert.ok(top.includes(`clawgate ${cmd}`), `clawgate --help misses ${cmd}`);
    }
  });
});
