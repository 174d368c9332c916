// `npm run build`, after tsc: type-check web/ (its own tsconfig: lib ES2022 + DOM) and bundle the pages with
// esbuild into dist/web/ (web-surfaces.md S2): minified ES2022, third-party licence texts in a .LEGAL.txt
// beside each bundle, the static files copied as they are. The gateway only reads the result (S3).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/**
 * One output directory under dist/web/: its bundles (output name → source; a .css source bundles its @imports),
 * the static files copied as they are, and optional import substitutions (esbuild `alias`, paths from the root).
 */
const targets = [
  {
    dir: 'webchat',
    bundles: {
      app: 'web/webchat/app.ts', 'app.css': 'web/webchat/app.css',
      inspect: 'web/inspect/inspect.ts', stately: 'web/inspect/stately.ts', 'inspect.css': 'web/inspect/inspect.css',
    },
    copy: ['web/webchat/index.html', 'web/webchat/icon.svg', 'web/inspect/inspect.html', 'web/inspect/stately.html'],
  },
  {
    // the A2UI host (C4): @a2ui/lit 0.11.0's v0.8 renderer; its optional Markdown peer is stubbed (plain text)
    dir: 'a2ui',
    bundles: { 'a2ui.bundle': 'web/a2ui/main.ts' },
    copy: ['web/a2ui/index.html'],
    alias: { '@a2ui/markdown-it': './web/a2ui/no-markdown.ts' },
    // esbuild keeps only @license comments; Apache-2.0 code needs its licence text: a2ui.bundle.LEGAL.txt gets both
    licences: { 'a2ui.bundle': 'a2ui.bundle.LEGAL.txt' },
  },
];

const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'web/tsconfig.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

for (const target of targets) {
  const out = join(root, 'dist/web', target.dir);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const entryPoints = Object.entries(target.bundles).map(([name, source]) => ({ in: join(root, source), out: name.replace(/\.css$/, '') }));
  const result = await build({
    entryPoints,
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'external', // <bundle>.LEGAL.txt: the licence texts of the bundled third-party code
    define: { __CLAWGATE_VERSION__: JSON.stringify(version) },
    metafile: true,
    logLevel: 'warning',
    absWorkingDir: root,
    ...(target.alias ? { alias: target.alias } : {}),
  });
  // the metafile (outside the packed dist/web/) shows which sources went in (KT5: the page bundles src/client/index.ts, not a copy)
  writeFileSync(join(root, `dist/${target.dir}.meta.json`), JSON.stringify(result.metafile));
  for (const file of target.copy) copyFileSync(join(root, file), join(out, file.split('/').pop()));
  for (const [bundle, legal] of Object.entries(target.licences ?? {})) writeLicences(result.metafile, out, bundle, legal);
}

/** `<bundle>.js.LEGAL.txt` becomes `legal`, followed by the licence file of every package bundled into it. */
function writeLicences(metafile, out, bundle, legal) {
  const packages = new Set();
  for (const input of Object.keys(metafile.outputs[`dist/web/${out.split('/').pop()}/${bundle}.js`]?.inputs ?? {})) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) packages.add(m[1]);
  }
  const from = join(out, `${bundle}.js.LEGAL.txt`);
  let text = existsSync(from) ? readFileSync(from, 'utf8') : '';
  rmSync(from, { force: true });
  for (const name of [...packages].sort()) {
    const dir = join(root, 'node_modules', name);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
    text += `\n--- ${name}@${manifest.version} (${manifest.license ?? 'see below'}) ---\n`;
    text += file ? readFileSync(join(dir, file), 'utf8') : 'no licence file shipped with the package\n';
  }
  writeFileSync(join(out, legal), text);
}
