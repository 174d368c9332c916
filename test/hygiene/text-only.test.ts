import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/cli.js';

// S11 "Text only" (web-surfaces.md §2.5): the page and client sources (web/, src/client/) never turn text into
// markup or code. Text goes in with textContent or createTextNode; these calls are refused wherever they appear.

/** The refused calls: each one can run a string as HTML or as script. */
export const HTML_SINKS: readonly [name: string, pattern: RegExp][] = [
  ['innerHTML', /\binnerHTML\b/],
  ['outerHTML', /\bouterHTML\b/],
  ['insertAdjacentHTML', /\binsertAdjacentHTML\b/],
  ['document.write', /\bdocument\s*\.\s*write(?:ln)?\b/],
  ['eval(', /(?<![\w.$])eval\s*\(/],
  ['new Function', /\bnew\s+Function\s*\(/],
  ['createContextualFragment', /\bcreateContextualFragment\b/],
  ['DOMParser', /\bDOMParser\b/],
  ['srcdoc', /\bsrcdoc\b/],
];

/** `file:line sink` for every refused call in `text`. */
export function htmlSinks(text: string, file: string): string[] {
  return text.split('\n').flatMap((line, i) => HTML_SINKS.filter(([, re]) => re.test(line)).map(([name]) => `${file}:${i + 1} ${name}`));
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : files(path);
    return /\.(?:[cm]?[jt]s|html)$/.test(name) ? [path] : [];
  });
}

test('S11: web/ and src/client/ never use innerHTML, outerHTML, insertAdjacentHTML, document.write, eval or new Function', () => {
  const sources = [...files(join(ROOT, 'web')), ...files(join(ROOT, 'src/client'))];
  assert.ok(sources.some((f) => f.endsWith('web/webchat/chat/transcript.ts')), 'the chat view is among the files read');
  const found = sources.flatMap((f) => htmlSinks(readFileSync(f, 'utf8'), relative(ROOT, f)));
  assert.deepEqual(found, []);
});

test('S11: the check finds each refused call and lets textContent, evaluate and functions through', () => {
  const bad = [
    'el.innerHTML = text;', 'el.outerHTML = text;', "el.insertAdjacentHTML('beforeend', text);", 'document.write(text);',
    'document.writeln(text);', 'eval(text);', "const f = new Function('return 1');", 'range.createContextualFragment(text);',
    "new DOMParser().parseFromString(text, 'text/html');", 'frame.srcdoc = text;',
  ];
  for (const line of bad) assert.equal(htmlSinks(line, 'x.ts').length, 1, line);
  const good = ['el.textContent = text;', 'el.append(document.createTextNode(text));', 'page.evaluate(() => 1);', 'retrieval(text);', 'function f() {}'];
  for (const line of good) assert.deepEqual(htmlSinks(line, 'x.ts'), [], line);
});
