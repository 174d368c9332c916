// A manual check with a real phone (not part of `npm test`; it links a real WhatsApp account as a device).
//
//   npx tsx scripts/smoke-whatsapp.ts [--dm-policy pairing|open] [--self-chat]
//
// It writes a throw-away state dir and config file and runs the built `clawgate gateway` (run `npm run build`
// first) in the foreground with the mock model. Then, in a second terminal:
//   1. `node dist/src/cli/main.js channels login whatsapp --port 18797` and scan the QR (Settings → Linked
//      devices), or add `--pairing-code +<your number>` and type the code on the phone;
//   2. from another phone, message the linked number `hello`: a pairing code comes back (or `Echo: hello` with
//      --dm-policy open); approve it with `node dist/src/cli/main.js pairing approve whatsapp <CODE> --port 18797`;
//   3. with --self-chat, write in your own "Message yourself" chat instead: only that chat is answered;
//   4. kill the gateway (Ctrl-C) while a reply is being sent and start it again with the same state dir
//      (CLAWGATE_SMOKE_DIR=<dir>): the recipient sees the reply once (the resend reuses the message id);
//   5. `clawgate channels logout whatsapp --port 18797` unlinks the device.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const i = process.argv.indexOf('--dm-policy');
const dmPolicy = i > 0 ? process.argv[i + 1]! : 'pairing';
const selfChat = process.argv.includes('--self-chat');
const dir = process.env.CLAWGATE_SMOKE_DIR ?? mkdtempSync(join(tmpdir(), 'clawgate-smoke-whatsapp-'));
const port = 18797;
const config = join(dir, 'clawgate.yaml');
writeFileSync(config, [
  `port: ${port}`,
  `state-dir: ${JSON.stringify(join(dir, 'state'))}`,
  'channels:',
  '  whatsapp:',
  '    enabled: true',
  `    dm-policy: ${dmPolicy}`,
  ...(dmPolicy === 'open' ? ['    allow-from: ["*"]'] : []),
  `    self-chat-mode: ${selfChat}`,
].join('\n'));
console.log(`state and config in ${dir} (reuse with CLAWGATE_SMOKE_DIR=${dir})`);
console.log(`link with: node dist/src/cli/main.js channels login whatsapp --port ${port}`);
const child = spawn(process.execPath, ['dist/src/cli/main.js', 'gateway', '--config', config], { stdio: 'inherit' });
process.on('SIGINT', () => child.kill('SIGTERM'));
child.on('exit', (code) => process.exit(code ?? 0));
