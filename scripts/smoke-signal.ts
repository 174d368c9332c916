// A manual check against a real signal-cli-rest-api server with a linked or registered number (not part of
// `npm test`).
//
//   SIGNAL_API_URL=http://127.0.0.1:8080 SIGNAL_ACCOUNT=+15550001 npx tsx scripts/smoke-signal.ts [--dm-policy pairing|open]
//
// It checks the server (GET /v1/about, /v1/accounts), writes a throw-away state dir and config file, and runs the
// built `clawgate gateway` (run `npm run build` first) in the foreground with the mock model. Then, from a phone:
//   1. send the number `hello`: a pairing code comes back (or `Echo: hello` with --dm-policy open);
//   2. approve it with the printed `clawgate pairing approve signal <CODE> --port …`;
//   3. send `hello` again → `Echo: hello` (typing shows while it runs); try /status, /new, a group with a mention;
//   4. stop with Ctrl-C.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const apiUrl = (process.env.SIGNAL_API_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const account = process.env.SIGNAL_ACCOUNT;
if (!account) {
  console.error('set SIGNAL_ACCOUNT to the number linked or registered on the signal-cli-rest-api server (+E164)');
  process.exit(2);
}
const about = await fetch(`${apiUrl}/v1/about`).then((r) => r.json() as Promise<{ mode?: string }>).catch((err: Error) => {
  console.error(`signal-cli-rest-api unreachable at ${apiUrl}: ${err.message}`);
  process.exit(1);
});
const accounts = await fetch(`${apiUrl}/v1/accounts`).then((r) => r.json() as Promise<string[]>);
if (!accounts.includes(account)) {
  console.error(`${account} is not registered or linked on ${apiUrl} (it has: ${accounts.join(', ') || 'none'})`);
  process.exit(1);
}
console.log(`signal-cli-rest-api at ${apiUrl}, mode ${about.mode}, account ${account}`);
const i = process.argv.indexOf('--dm-policy');
const dmPolicy = i > 0 ? process.argv[i + 1]! : 'pairing';
const dir = mkdtempSync(join(tmpdir(), 'clawgate-smoke-signal-'));
const port = 18798;
const config = join(dir, 'clawgate.yaml');
writeFileSync(config, [
  `port: ${port}`,
  `state-dir: ${JSON.stringify(join(dir, 'state'))}`,
  'channels:',
  '  signal:',
  `    api-url: ${JSON.stringify(apiUrl)}`,
  `    account: ${JSON.stringify(account)}`,
  `    dm-policy: ${dmPolicy}`,
  ...(dmPolicy === 'open' ? ['    allow-from: ["*"]'] : []),
  '    group-policy: open',
].join('\n'));
console.log(`approve a pairing code with: node dist/src/cli/main.js pairing approve signal <CODE> --port ${port}`);
const child = spawn(process.execPath, ['dist/src/cli/main.js', 'gateway', '--config', config], { stdio: 'inherit' });
process.on('SIGINT', () => child.kill('SIGTERM'));
child.on('exit', (code) => process.exit(code ?? 0));
