// A manual check against the real Telegram Bot API (not part of `npm test`; it needs a bot token).
//
//   TELEGRAM_BOT_TOKEN=123456:ABC… npx tsx scripts/smoke-telegram.ts [--dm-policy pairing|open] [--streaming partial|off]
//
// It asks Telegram who the bot is (getMe), writes a throw-away state dir and config file, and runs the built
// `clawgate gateway` (run `npm run build` first) in the foreground with the mock model. Then, from your phone:
//   1. DM the bot `hello`: you get a pairing code (or `Echo: hello` with --dm-policy open);
//   2. approve it in another terminal with the printed `clawgate pairing approve telegram <CODE> --port …`;
//   3. DM `hello` again → `Echo: hello`; try /status, /whoami, /new, /stop, and a long message (chunking);
//   4. stop with Ctrl-C; start again: nothing is answered twice.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const token = process.env.TELEGRAM_BOT_TOKEN;
if (!token) {
  console.error('set TELEGRAM_BOT_TOKEN to a bot token from @BotFather');
  process.exit(2);
}
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const apiRoot = process.env.TELEGRAM_API_ROOT ?? 'https://api.telegram.org';
const me = await fetch(`${apiRoot}/bot${token}/getMe`).then((r) => r.json() as Promise<{ ok: boolean; result?: { username: string; id: number }; description?: string }>);
if (!me.ok || !me.result) {
  console.error(`getMe failed: ${me.description ?? 'no answer'}`);
  process.exit(1);
}
console.log(`bot @${me.result.username} (id ${me.result.id})`);
const dir = mkdtempSync(join(tmpdir(), 'clawgate-smoke-telegram-'));
const port = Number(arg('port', '18799'));
const dmPolicy = arg('dm-policy', 'pairing');
const config = join(dir, 'clawgate.yaml');
writeFileSync(config, [
  `port: ${port}`,
  `state-dir: ${JSON.stringify(join(dir, 'state'))}`,
  'channels:',
  '  telegram:',
  `    dm-policy: ${dmPolicy}`,
  ...(dmPolicy === 'open' ? ['    allow-from: ["*"]'] : []),
  `    streaming: ${arg('streaming', 'partial')}`,
  `    api-root: ${JSON.stringify(apiRoot)}`,
].join('\n'), { mode: 0o600 });
console.log(`state and config in ${dir}`);
console.log(`approve a pairing code with: node dist/src/cli/main.js pairing approve telegram <CODE> --port ${port}`);
const child = spawn(process.execPath, ['dist/src/cli/main.js', 'gateway', '--config', config], { stdio: 'inherit', env: process.env });
process.on('SIGINT', () => child.kill('SIGTERM'));
child.on('exit', (code) => process.exit(code ?? 0));
