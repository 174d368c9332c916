import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type BrowserHarness, browserHarness, findChromium, isLoopbackUrl } from './harness.js';

// The harness itself (web-surfaces.md B2, B6): where the browser comes from, and that a page which reaches
// outside loopback or throws makes its test fail.

test('findChromium: CLAWGATE_CHROMIUM wins; else chromium or chromium-browser on PATH; else none', () => {
  assert.equal(findChromium({ CLAWGATE_CHROMIUM: process.execPath, PATH: '' }), process.execPath);
  assert.equal(findChromium({ CLAWGATE_CHROMIUM: '/nonexistent/chromium', PATH: '/usr/bin' }), undefined);
  assert.equal(findChromium({ PATH: '/nonexistent' }), undefined);
});

test('isLoopbackUrl: loopback names and addresses only', () => {
  for (const u of ['http://127.0.0.1:1/', 'ws://127.0.0.2:9/x', 'http://localhost/', 'http://[::1]:8/', 'data:text/plain,x']) assert.ok(isLoopbackUrl(u), u);
  for (const u of ['https://cdn.example.com/x.js', 'http://10.0.0.1/', 'wss://example.org/']) assert.ok(!isLoopbackUrl(u), u);
});

let harness: BrowserHarness;
before(async () => {
  harness = await browserHarness(import.meta.url);
});
after(() => harness.close());

test('a request outside loopback is aborted and fails the test; so does a page error', async (t) => {
  if (harness.skip) return t.skip(harness.skip);
  const outside = await harness.open('outside-request');
  await outside.page.setContent('<p>x</p>');
  await outside.page.evaluate(() => fetch('https://cdn.example.com/lib.js').catch(() => 'aborted'));
  await assert.rejects(outside.finish(), /no request leaves loopback/);
  const throwing = await harness.open('page-error');
  const seen = throwing.page.waitForEvent('pageerror');
  await throwing.page.setContent('<script>throw new Error("boom")</script>');
  await seen;
  await assert.rejects(throwing.finish(), /pageerror: boom/);
});
