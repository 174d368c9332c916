import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { ROOT } from '../helpers/cli.js';

// House rules that a compiler does not check: every exported function, class, interface, type and
// constant of src/ carries a TSDoc comment (a one-liner is enough where the name says most), and no source
// file grows past 400 lines.

const MAX_LINES = 400;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

function isExported(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

function hasTsDoc(node: ts.Node, text: string): boolean {
  return (ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []).some((r) => text.startsWith('/**', r.pos));
}

/** Exported declarations of one file that have no `/** … *\/` comment, as `name (line)`. */
export function undocumentedExports(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true);
  const missing: string[] = [];
  for (const node of file.statements) {
    if (!isExported(node) || hasTsDoc(node, text)) continue;
    const name = ts.isVariableStatement(node)
      ? node.declarationList.declarations.map((d) => d.name.getText(file)).join(', ')
      : (node as ts.DeclarationStatement).name?.getText(file) ?? '(default)';
    missing.push(`${name} (line ${file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1})`);
  }
  return missing;
}

test('every exported declaration in src/ has a TSDoc comment', () => {
  const problems = sources(join(ROOT, 'src')).flatMap((path) =>
    undocumentedExports(path).map((what) => `${relative(ROOT, path)}: ${what}`));
  assert.deepEqual(problems, [], `exports without a /** doc comment */:\n${problems.join('\n')}`);
});

test(`no file in src/ or protocol/ is longer than ${MAX_LINES} lines`, () => {
  const long = [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'protocol'))]
    .map((path) => ({ path: relative(ROOT, path), lines: readFileSync(path, 'utf8').split('\n').length }))
    .filter((f) => f.lines > MAX_LINES);
  assert.deepEqual(long, []);
});

test('the checker finds an undocumented export (it can fail)', () => {
  const dir = join(ROOT, 'test', 'hygiene');
  const sample = join(dir, 'fixtures', 'undocumented.ts.txt');
  assert.deepEqual(undocumentedExports(sample), ['bare (line 4)', 'Shape (line 9)']);
});
