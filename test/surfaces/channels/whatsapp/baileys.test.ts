import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestGateway } from '../../../helpers/gateway.js';
import { ROOT } from '../../../helpers/cli.js';
import { baileysLoaded, loadBaileys } from '../../../../src/surfaces/channels/whatsapp/baileys.js';

// Acceptance 3 of issue 13 (spec channels.md §1.8): Baileys (about 0.5 s and 58 MB RSS at import) is loaded only
// when a WhatsApp account is enabled. In this process through the lazy loader's state; in a child process through
// a module resolve hook that reports ANY resolution of the package, so a stray value import anywhere is caught.

// The child: a resolve hook (on Node's hooks thread) posts every resolved URL of the package back on a port; the
// script starts a gateway without WhatsApp (or, as the positive control, calls loadBaileys()) and prints a verdict.
const CHILD = `
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const hook = 'data:text/javascript,' + encodeURIComponent(\`
  let port;
  export function initialize(data) { port = data.port; }
  export async function resolve(specifier, context, next) {
    const r = await next(specifier, context);
    if (r.url.includes('/@whiskeysockets/baileys/')) port.postMessage(r.url);
    return r;
  }\`);
const { port1, port2 } = new MessageChannel();
const seen = [];
port1.on('message', (url) => seen.push(url));
port1.unref();
register(hook, { data: { port: port2 }, transferList: [port2] });
const { createGateway } = await import('./src/main.ts');
const { baileysLoaded, loadBaileys } = await import('./src/surfaces/channels/whatsapp/baileys.ts');
const gw = await createGateway({ config: { port: 0, stateDir: process.env.STATE_DIR, logLevel: 'silent' } });
if (process.env.CONTROL === '1') await loadBaileys();
await gw.close();
await new Promise((r) => setTimeout(r, 50));
console.log(JSON.stringify({ loaded: baileysLoaded(), resolved: seen.length }));
`;

function runChild(control: boolean): { loaded: boolean; resolved: number } {
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-wa-lazy-'));
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
      cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, STATE_DIR: stateDir, CONTROL: control ? '1' : '0' },
    });
    return JSON.parse(out.trim().split('\n').at(-1) ?? '') as { loaded: boolean; resolved: number };
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

test('a gateway without WhatsApp does not load Baileys (in this process, through the lazy loader)', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  assert.equal(baileysLoaded(), false);
});

test('a gateway without WhatsApp never resolves @whiskeysockets/baileys (child process, resolve hook)', () => {
  assert.deepEqual(runChild(false), { loaded: false, resolved: 0 });
});

test('positive control: loadBaileys() in the same child is seen by both checks', () => {
  const { loaded, resolved } = runChild(true);
  assert.equal(loaded, true);
  assert.ok(resolved > 0, 'the resolve hook saw the package');
});

test('loadBaileys() imports once and gives the same module to every caller', async () => {
  const [a, b] = await Promise.all([loadBaileys(), loadBaileys()]);
  assert.equal(a, b);
  assert.equal(baileysLoaded(), true);
  assert.equal(typeof a.makeWASocket, 'function');
  assert.equal(a.DisconnectReason.restartRequired, 515);
});
