import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// What the package ships for the actor inspector (web-surfaces.md S2, S5, S6, S11, §2.3), read after
// `npm run build` (npm test builds first): every file the inspector and bridge pages reference (relative to
// the paths they are served at) is built and packed, `inspect.js` stays within 80 KB, the pages have no
// inline script or style, and the page sources write text only.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEBCHAT = join(ROOT, 'dist/web/webchat');
const PAGES: [file: string, servedAt: string][] = [['inspect.html', '/__clawgate__/inspect'], ['stately.html', '/__clawgate__/inspect/stately']];
const built = (file: string) => {
  assert.ok(existsSync(file), `${file} is missing: run \`npm run build\` first`);
  return file;
};

/** The local `src` and `href` values of an HTML page. */
function references(html: string): string[] {
  return [...html.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string).filter((u) => !/^[a-z]+:|^#/.test(u));
}

test('every file the inspector pages reference is built and in `npm pack` (S5)', () => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  const packed = new Set((JSON.parse(out) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path));
  for (const [file, servedAt] of PAGES) {
    const html = readFileSync(built(join(WEBCHAT, file)), 'utf8');
    assert.ok(packed.has(`dist/web/webchat/${file}`), `${file} is in the package`);
    const refs = references(html);
    assert.ok(refs.length >= 3, `${file}: ${refs.join(', ')}`);
    for (const ref of refs) {
      // served at `servedAt`, the reference resolves under `/webchat/`, i.e. dist/web/webchat/
      const path = posix.join(posix.dirname(servedAt), ref);
      assert.match(path, /^\/webchat\/[\w.-]+$/, `${file}: ${ref}`);
      const dist = `dist/web${path}`;
      assert.ok(existsSync(join(ROOT, dist)), `${dist} is built`);
      assert.ok(packed.has(dist), `${dist} is in the package`);
    }
  }
});

test('the inspector pages have no inline script or style (§2.3)', () => {
  for (const [file] of PAGES) {
    const html = readFileSync(built(join(WEBCHAT, file)), 'utf8');
    assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i, file);
    for (const tag of html.match(/<script[^>]*>/gi) ?? []) assert.match(tag, /\ssrc="/, `${file}: ${tag}`);
  }
});

test('size budget: inspect.js ≤ 80 KB minified (S6)', () => {
  const size = statSync(built(join(WEBCHAT, 'inspect.js'))).size;
  assert.ok(size <= 80 * 1024, `inspect.js is ${size} bytes`);
});

test('S11: web/inspect/ writes text only (no innerHTML, outerHTML, insertAdjacentHTML, document.write, eval, new Function)', () => {
  const dir = join(ROOT, 'web/inspect');
  const sources = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  assert.ok(sources.length > 5);
  for (const name of sources) {
    const code = readFileSync(join(dir, name), 'utf8').replace(/^\s*\/\/.*$/gm, '');
    assert.doesNotMatch(code, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\s*\(|new\s+Function\s*\(/, name);
  }
});
