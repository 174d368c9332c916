// `npm ci` / `npm install` in the repository run this (the `prepare` script): build dist/ so that
// `npx clawgate …` works straight away. With dev dependencies omitted (npm ci --omit=dev) there is no
// TypeScript: say so and succeed, so a production install of an already built copy does not fail.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = join(root, 'node_modules/typescript/bin/tsc');
if (!existsSync(tsc)) {
  process.stderr.write('clawgate: TypeScript is not installed (dev dependencies omitted): not building dist/\n');
  process.exit(0);
}
process.stderr.write('clawgate: building dist/ (tsc)…\n');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
// the bin must be executable: npx runs it directly (tsc writes a new file without the x bit)
if (r.status === 0) chmodSync(join(root, 'dist/src/cli/main.js'), 0o755);
// the generated validators are JavaScript beside the TypeScript: copied, not compiled; then the gateway's bundle
let status = r.status;
for (const script of ['scripts/copy-generated.mjs', 'scripts/build-gateway.mjs']) {
  if (status === 0) status = spawnSync(process.execPath, [join(root, script)], { stdio: 'inherit' }).status;
}
process.exit(status ?? 1);
