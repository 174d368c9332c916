// `npm start`: build if dist/ is missing or older than the sources, then run the CLI with the given args.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = join(root, 'dist/src/cli/main.js');

function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

const stale = !existsSync(entry)
  || Math.max(newestSource(join(root, 'src')), newestSource(join(root, 'protocol'))) > statSync(entry).mtimeMs;
if (stale) {
  process.stderr.write('clawgate: building (tsc) before the first start; this takes a few seconds…\n');
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}
// the gateway command runs from its bundle (scripts/build-gateway.mjs), built after tsc and the generated files
const bundle = join(root, 'dist/gateway/gateway.js');
if (stale || !existsSync(bundle) || statSync(join(root, 'dist/src/cli/gateway.js')).mtimeMs > statSync(bundle).mtimeMs) {
  for (const script of ['scripts/copy-generated.mjs', 'scripts/build-gateway.mjs']) {
    const r = spawnSync(process.execPath, [join(root, script)], { stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}
// the pages bundle web/ and src/client/: rebuilt when either is newer than the built WebChat page
const webEntry = join(root, 'dist/web/webchat/app.js');
if (stale || !existsSync(webEntry)
  || Math.max(newestSource(join(root, 'web')), newestSource(join(root, 'src/client'))) > statSync(webEntry).mtimeMs) {
  const web = spawnSync(process.execPath, [join(root, 'scripts/build-web.mjs')], { stdio: 'inherit' });
  if (web.status !== 0) process.exit(web.status ?? 1);
}
const args = process.argv.slice(2);
// the gateway runs with its Node flags (src/cli/node-flags.ts), as the service units start it
const nodeFlags = args[0] === 'gateway' ? (await import(pathToFileURL(join(root, 'dist/src/cli/node-flags.js')).href)).GATEWAY_NODE_FLAGS : [];
const child = spawn(process.execPath, [...nodeFlags, entry, ...args], { stdio: 'inherit' });
// the gateway drains, then exits 0; a Ctrl-C in a terminal reaches it directly too (same process group)
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15, SIGKILL: 9 };
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (SIGNALS[signal] ?? 0) : 1)));
