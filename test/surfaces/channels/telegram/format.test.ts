import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { markdownToTelegramHtml as html } from '../../../../src/surfaces/channels/telegram/format.js';

// TG7: the Markdown subset becomes Telegram HTML; everything else is escaped; unbalanced markers stay literal.

describe('markdownToTelegramHtml', () => {
  test('bold, italic, strike, code and links', () => {
    assert.equal(html('**b** *i* _j_ ~~s~~ `c`'), '<b>b</b> <i>i</i> <i>j</i> <s>s</s> <code>c</code>');
    assert.equal(html('see [the docs](https://x.test/a?b=1&c=2)'), 'see <a href="https://x.test/a?b=1&amp;c=2">the docs</a>');
    assert.equal(html('**bold with *italic* inside**'), '<b>bold with <i>italic</i> inside</b>');
  });

  test('escapes every other &, < and >', () => {
    assert.equal(html('a < b && c > d <script>'), 'a &lt; b &amp;&amp; c &gt; d &lt;script&gt;');
    assert.equal(html('`<tag> & co`'), '<code>&lt;tag&gt; &amp; co</code>');
  });

  test('fenced blocks become pre/code with the language', () => {
    assert.equal(html('before\n```ts\nconst a = 1 < 2;\n```\nafter'),
      'before\n<pre><code class="language-ts">const a = 1 &lt; 2;</code></pre>\nafter');
    assert.equal(html('```\n**not bold**\n```'), '<pre><code>**not bold**</code></pre>');
  });

  test('unbalanced markers stay literal', () => {
    assert.equal(html('2 * 3 = 6'), '2 * 3 = 6');
    assert.equal(html('**open only'), '**open only');
    assert.equal(html('a `tick'), 'a `tick');
    assert.equal(html('~~nope'), '~~nope');
    assert.equal(html('```ts\nnever closed'), '```ts\nnever closed');
    assert.equal(html('snake_case_name'), 'snake_case_name');
  });

  test('links to other schemes stay text', () => {
    assert.equal(html('[x](javascript:alert(1))'), '[x](javascript:alert(1))');
    assert.equal(html('[x]("onmouseover)'), '[x]("onmouseover)');
  });
});
