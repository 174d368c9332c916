import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { chunkText } from '../../../src/surfaces/channels/chunk.js';

// C7 and T5: chunks fit the limit, fences stay balanced in every chunk, and no text is lost or reordered.

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})/;
const fenceLines = (chunk: string): number => chunk.split('\n').filter((l) => FENCE_LINE.test(l)).length;

/**
 * Checks that the chunks, less the fence lines the chunker added, are the text in order with only whitespace
 * between them (whitespace at the cuts is dropped). Returns a reason when they are not.
 */
function contentPreserved(text: string, chunks: string[]): string | undefined {
  let cursor = 0;
  for (const [i, chunk] of chunks.entries()) {
    const lines = chunk.split('\n');
    const head = lines.length > 1 && FENCE_LINE.test(lines[0] as string);
    const tail = lines.length > 1 && FENCE_LINE.test(lines.at(-1) as string);
    const candidates = [chunk];
    if (tail) candidates.push(lines.slice(0, -1).join('\n'));
    if (head) candidates.push(lines.slice(1).join('\n'));
    if (head && tail) candidates.push(lines.slice(1, -1).join('\n'));
    let matched = false;
    for (const c of candidates) {
      for (let k = cursor; k <= text.length; k++) {
        if (text.startsWith(c, k)) { cursor = k + c.length; matched = true; break; }
        if (!/\s/.test(text[k] ?? '')) break;
      }
      if (matched) break;
    }
    if (!matched) return `chunk ${i} is not the next part of the text: ${JSON.stringify(chunk.slice(0, 80))}`;
  }
  if (text.slice(cursor).trim() !== '') return 'text left over after the last chunk';
  return undefined;
}

describe('chunkText', () => {
  test('a short text is one chunk, a blank text none', () => {
    assert.deepEqual(chunkText('hello', 4000), ['hello']);
    assert.deepEqual(chunkText(' \n\t ', 4000), []);
    assert.deepEqual(chunkText('', 4000), []);
  });

  test('prefers a paragraph break, then a newline, then a sentence end, then whitespace, then a hard cut', () => {
    assert.deepEqual(chunkText('aaaa\nbbbb\n\ncccc dddd', 16), ['aaaa\nbbbb', 'cccc dddd']);
    assert.deepEqual(chunkText('aaaa bbbb\ncccc. dddd', 16), ['aaaa bbbb', 'cccc. dddd']);
    assert.deepEqual(chunkText('aaa bbb. ccc ddd eee', 14), ['aaa bbb.', 'ccc ddd eee']);
    assert.deepEqual(chunkText('aaaa bbbb cccc', 11), ['aaaa bbbb', 'cccc']);
    assert.deepEqual(chunkText('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
  });

  test('never splits a surrogate pair', () => {
    const text = '\u{1F600}'.repeat(5); // 10 code units
    const chunks = chunkText(text, 3);
    assert.ok(chunks.every((c) => c.length <= 3 && !/[\uD800-\uDBFF]$/.test(c) && !/^[\uDC00-\uDFFF]/.test(c)), JSON.stringify(chunks));
    assert.equal(chunks.join(''), text);
  });

  test('refuses a limit that cannot hold a surrogate pair', () => {
    assert.throws(() => chunkText('abc', 1), RangeError);
  });

  test('T5: 9 000 characters with a fence across the first cut make 3 chunks of at most 4000, each balanced', () => {
    const prose = (n: number) => Array.from({ length: n }, (_, i) => `Sentence number ${i} says something. `).join('');
    const code = Array.from({ length: 60 }, (_, i) => `  const value${i} = compute(${i}); // line ${i}`).join('\n');
    let reply = `${prose(90)}\n\`\`\`ts\n${code}\n\`\`\`\n\n${prose(400)}`;
    reply = reply.slice(0, 9000);
    assert.equal(reply.length, 9000);
    const firstFence = reply.indexOf('```');
    assert.ok(firstFence < 4000 && reply.indexOf('```', firstFence + 3) > 4000, 'the fence spans the first cut');
    const chunks = chunkText(reply, 4000);
    assert.equal(chunks.length, 3);
    for (const c of chunks) {
      assert.ok(c.length <= 4000, `chunk of ${c.length}`);
      assert.equal(fenceLines(c) % 2, 0, 'balanced fences');
    }
    assert.ok(chunks[0]?.endsWith('\n```'), 'the first chunk closes the fence');
    assert.ok(chunks[1]?.startsWith('```ts\n'), 'the second reopens it with the same opening line');
    assert.equal(contentPreserved(reply, chunks), undefined);
  });

  test('property: every chunk fits, fences balance, content is preserved', () => {
    const word = fc.stringMatching(/^[a-zA-Z0-9.,!?]{1,12}$/);
    const sep = fc.constantFrom(' ', ' ', ' ', '\n', '\n\n', '. ', '  ', '\t');
    const prose = fc.array(fc.tuple(word, sep), { minLength: 1, maxLength: 40 }).map((ws) => ws.map(([w, s]) => w + s).join(''));
    const emoji = fc.constantFrom('\u{1F600}', '\u{1F680}', 'é', '中');
    const codeLine = fc.array(fc.oneof(word, emoji, fc.constant('    ')), { maxLength: 8 }).map((ws) => ws.join(' '));
    const block = fc.tuple(fc.constantFrom('```', '```ts', '~~~', '````py'), fc.array(codeLine, { minLength: 1, maxLength: 12 }))
      .map(([open, lines]) => `${open}\n${lines.join('\n')}\n${open.replace(/[a-z]+$/, '')}`);
    const doc = fc.array(fc.oneof(prose, block, fc.array(emoji, { maxLength: 30 }).map((e) => e.join(''))), { minLength: 1, maxLength: 8 })
      .map((parts) => parts.join('\n\n'));
    fc.assert(fc.property(doc, fc.integer({ min: 24, max: 200 }), (text, limit) => {
      const chunks = chunkText(text, limit);
      for (const c of chunks) {
        assert.ok(c.length <= limit, `chunk of ${c.length} > ${limit}`);
        assert.ok(c.trim() !== '', 'no empty chunk');
        assert.ok(!/[\uD800-\uDBFF]$/.test(c) && !/^[\uDC00-\uDFFF]/.test(c), 'no split surrogate pair');
        assert.equal(fenceLines(c) % 2, 0, `unbalanced fences in ${JSON.stringify(c)}`);
      }
      assert.equal(contentPreserved(text, chunks), undefined);
    }), { numRuns: 1000, seed: 42 });
  });
});
