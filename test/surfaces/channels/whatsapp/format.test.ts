import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { markdownToWhatsApp } from '../../../../src/surfaces/channels/whatsapp/format.js';

// Markdown → WhatsApp formatting (WA6, optional): WhatsApp's markers, code untouched, plain text unchanged.

describe('markdownToWhatsApp', () => {
  test('bold, italic, strike, headings, links and bullets', () => {
    assert.equal(markdownToWhatsApp('**bold** and __also__'), '*bold* and *also*');
    assert.equal(markdownToWhatsApp('an *italic* word and _this_'), 'an _italic_ word and _this_');
    assert.equal(markdownToWhatsApp('~~gone~~'), '~gone~');
    assert.equal(markdownToWhatsApp('# Title\n## Sub ##\ntext'), '*Title*\n*Sub*\ntext');
    assert.equal(markdownToWhatsApp('see [the docs](https://x.test/a) or [https://y.test](https://y.test)'), 'see the docs (https://x.test/a) or https://y.test');
    assert.equal(markdownToWhatsApp('* one\n* two\n  * nested'), '- one\n- two\n  - nested');
    assert.equal(markdownToWhatsApp('***both***'), '*_both_*');
  });

  test('code blocks and inline code are kept as written (the fence language is dropped)', () => {
    const md = 'run `a*b*c` then:\n```python\nx = 2 ** 3  # **not bold**\n```\n**done**';
    assert.equal(markdownToWhatsApp(md), 'run `a*b*c` then:\n```\nx = 2 ** 3  # **not bold**\n```\n*done*');
  });

  test('plain text, arithmetic and lone markers pass through unchanged', () => {
    for (const plain of ['hello, world', '2 * 3 = 6 and 4 * 5 = 20', 'a snake_case_name', 'price: $5 ~ $6', 'email me@x.test', '']) {
      assert.equal(markdownToWhatsApp(plain), plain);
    }
  });
});
