import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, parseGatewayArgs } from '../../src/config.js';

// Security basics: a token shorter than 32 characters, or of fewer than 16 distinct characters, is refused
// at start with one line saying why and what to use instead.

const refused = (token: string, why: RegExp) =>
  assert.throws(() => parseGatewayArgs(['--token', token]), (e: Error) => e instanceof ConfigError && why.test(e.message) && /openssl rand -base64 32/.test(e.message));

describe('--token strength', () => {
  test('32 copies of one letter are refused (1 distinct character)', () => {
    refused('a'.repeat(32), /^--token must have at least 16 distinct characters \(got 1\)/);
  });

  test('a long token of 15 distinct characters is refused; 16 are enough', () => {
    const fifteen = 'abcdefghijklmno';
    refused(fifteen.repeat(4), /got 15/);
    assert.equal(parseGatewayArgs(['--token', 'abcdefghijklmnop'.repeat(2)]).token, 'abcdefghijklmnop'.repeat(2));
  });

  test('shorter than 32 characters is refused with the length; placeholders too', () => {
    refused('abcdefghijklmnopqrstuvwxyz01234', /at least 32 characters \(got 31\)/);
    refused('changeme', /empty or a placeholder/);
  });

  test('the same rule applies to OPENCLAW_GATEWAY_TOKEN', () => {
    assert.throws(() => parseGatewayArgs([], { OPENCLAW_GATEWAY_TOKEN: 'x'.repeat(40) }), /16 distinct characters/);
  });
});
