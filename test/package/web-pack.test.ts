import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// What the npm package ships for the pages (web-surfaces.md S5, S6, KT5), read after `npm run build` (npm test
// builds first): every file index.html references is built and in the pack list, the bundle stays within its
// size budget, and it was built from the one client in src/client/.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEBCHAT = join(ROOT, 'dist/web/webchat');
const built = (file: string) => {
  assert.ok(existsSync(file), `${file} is missing: run \`npm run build\` first`);
  return file;
};

/** The local `src` and `href` values of an HTML page. */
function references(html: string): string[] {
  return [...html.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string).filter((u) => !/^[a-z]+:|^#/.test(u));
}

test('every file index.html references is built and in `npm pack` (S5)', () => {
  const html = readFileSync(built(join(WEBCHAT, 'index.html')), 'utf8');
  const refs = references(html);
  assert.deepEqual(refs.sort(), ['webchat/app.css', 'webchat/app.js', 'webchat/icon.svg']);
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  const packed = new Set((JSON.parse(out) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path));
  // the page is served at `/`, so its relative references resolve under dist/web/
  for (const path of ['dist/web/webchat/index.html', ...refs.map((r) => `dist/web/${r}`)]) {
    assert.ok(existsSync(join(ROOT, path)), `${path} is built`);
    assert.ok(packed.has(path), `${path} is in the package`);
  }
});

test('index.html has no inline script or style, so the CSP needs no hashes (§2.3)', () => {
  const html = readFileSync(built(join(WEBCHAT, 'index.html')), 'utf8');
  assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i);
  for (const tag of html.match(/<script[^>]*>/gi) ?? []) assert.match(tag, /\ssrc="/, tag);
});

test('size budget: WebChat app.js ≤ 120 KB minified (S6)', () => {
  const size = statSync(built(join(WEBCHAT, 'app.js'))).size;
  assert.ok(size <= 120 * 1024, `app.js is ${size} bytes`);
});

test('the WebChat bundle is built from src/client/index.ts, not a copy (KT5)', () => {
  const meta = JSON.parse(readFileSync(built(join(ROOT, 'dist/webchat.meta.json')), 'utf8')) as { inputs: Record<string, unknown> };
  assert.ok(Object.keys(meta.inputs).includes('src/client/index.ts'), Object.keys(meta.inputs).join(', '));
});
