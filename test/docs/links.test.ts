import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ROOT } from '../helpers/cli.js';

// The README and docs/ ship in the repo and in the package: every relative link must reach a file of the
// repo (never ../shared, which a clone does not have) and every #anchor a heading of its target.

const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));
}

/** `[text](target)` links outside code blocks. */
function links(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
}

test('the README and docs/ link only files of the repo, and anchors that exist', () => {
  const problems: string[] = [];
  for (const doc of DOCS) {
    const file = join(ROOT, doc);
    for (const target of links(file)) {
      if (/^[a-z]+:/.test(target)) continue; // external
      const [path, anchor] = target.split('#');
      const dest = path === '' ? file : resolve(dirname(file), path);
      if (!dest.startsWith(`${ROOT}/`) && dest !== ROOT) problems.push(`${doc}: ${target} leaves the repo`);
      else if (!existsSync(dest)) problems.push(`${doc}: ${target} does not exist`);
      else if (anchor !== undefined && dest.endsWith('.md') && !anchors(dest).has(anchor)) problems.push(`${doc}: ${target}: no such heading`);
    }
  }
  assert.deepEqual(problems, []);
});

test('the README links the HTTP and WS specs in docs/, an example and the LICENSE', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.doesNotMatch(readme, /\.\.\/shared/);
  for (const target of ['docs/http-api.md', 'docs/ws-protocol.md', 'examples/ws-chat.mjs', 'LICENSE']) {
    assert.ok(links(join(ROOT, 'README.md')).includes(target), `README links ${target}`);
  }
  assert.match(readFileSync(join(ROOT, 'LICENSE'), 'utf8'), /^MIT License\n\nCopyright \(c\) 2026 Clawgate contributors\n/);
});
