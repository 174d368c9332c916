import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// What the npm package ships for the A2UI host (web-surfaces.md S1, S2, S5, S6, CT6), read after `npm run build`
// (npm test builds first): the page, its bundle and the licence file are built and in the pack list, the page
// loads only its bundle (no inline script), the bundle keeps its size budget and its licence file carries the
// licence texts of the bundled packages, @a2ui/lit's Apache-2.0 first.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const A2UI = join(ROOT, 'dist/web/a2ui');
const built = (file: string) => {
  assert.ok(existsSync(file), `${file} is missing: run \`npm run build\` first`);
  return file;
};

test('the A2UI page, bundle and licence file are built and in `npm pack` (S5, CT6)', () => {
  const html = readFileSync(built(join(A2UI, 'index.html')), 'utf8');
  const refs = [...html.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(refs, ['./a2ui.bundle.js'], 'the page loads its bundle, relative (a cap prefix carries over)');
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  const packed = new Set((JSON.parse(out) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path));
  for (const file of ['index.html', 'a2ui.bundle.js', 'a2ui.bundle.LEGAL.txt']) {
    const path = `dist/web/a2ui/${file}`;
    built(join(ROOT, path));
    assert.ok(packed.has(path), `${path} is in the package`);
  }
});

test('the A2UI page has no inline script or style (§2.3)', () => {
  const html = readFileSync(built(join(A2UI, 'index.html')), 'utf8');
  assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i);
  for (const tag of html.match(/<script[^>]*>/gi) ?? []) assert.match(tag, /\ssrc="/, tag);
});

test('size budget: a2ui.bundle.js ≤ 400 KB minified (S6)', () => {
  const size = statSync(built(join(A2UI, 'a2ui.bundle.js'))).size;
  assert.ok(size <= 400 * 1024, `a2ui.bundle.js is ${size} bytes`);
});

test('the licence file carries the licence texts of the bundled packages (S2)', () => {
  const legal = readFileSync(built(join(A2UI, 'a2ui.bundle.LEGAL.txt')), 'utf8');
  assert.match(legal, /^--- @a2ui\/lit@0\.11\.0 \(Apache-2\.0\) ---$/m);
  assert.match(legal, /Apache License\s+Version 2\.0/);
  for (const name of ['lit', '@lit/context', '@a2ui/web_core']) assert.match(legal, new RegExp(`^--- ${name.replace('/', '\\/')}@`, 'm'), name);
  const meta = JSON.parse(readFileSync(built(join(ROOT, 'dist/a2ui.meta.json')), 'utf8')) as { inputs: Record<string, unknown> };
  assert.ok(Object.keys(meta.inputs).some((p) => p.includes('node_modules/@a2ui/lit/src/0.8/')), 'built from @a2ui/lit\'s v0.8 renderer');
  assert.ok(!Object.keys(meta.inputs).some((p) => p.includes('@a2ui/markdown-it')), 'no Markdown renderer');
});
