import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, parseGatewayArgs } from '../../src/config.js';

// Model set-up options: OPENAI_BASE_URL / OPENAI_MODEL below flags and the config file, catalog aliases,
// and --system-prompt TEXT or @FILE.

const dir = mkdtempSync(join(tmpdir(), 'clawgate-model-setup-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = { OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1', OPENAI_MODEL: 'llama3.2' };

describe('OPENAI_BASE_URL and OPENAI_MODEL', () => {
  test('are used when neither a flag nor the config file names them', () => {
    const c = parseGatewayArgs(['--model', 'openai'], env);
    assert.equal(c.openaiBaseUrl, 'http://127.0.0.1:11434/v1');
    assert.equal(c.openaiModel, 'llama3.2');
  });

  test('flags win over them', () => {
    const c = parseGatewayArgs(['--model', 'openai', '--openai-base-url', 'http://127.0.0.1:8000/v1', '--openai-model', 'qwen'], env);
    assert.equal(c.openaiBaseUrl, 'http://127.0.0.1:8000/v1');
    assert.equal(c.openaiModel, 'qwen');
  });

  test('the config file wins over them', () => {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ openaiBaseUrl: 'http://127.0.0.1:9000/v1', openaiModel: 'mistral' }));
    const c = parseGatewayArgs(['--config', file], env);
    assert.equal(c.openaiBaseUrl, 'http://127.0.0.1:9000/v1');
    assert.equal(c.openaiModel, 'mistral');
  });

  test('a bad OPENAI_BASE_URL is a config error naming the value', () => {
    assert.throws(() => parseGatewayArgs([], { OPENAI_BASE_URL: 'localhost:11434' }), (e: Error) => e instanceof ConfigError && /localhost:11434/.test(e.message));
  });
});

describe('--model-catalog', () => {
  test('alias=model entries map aliases; a bare name maps to itself; the catalog lists the names a request may use', () => {
    const c = parseGatewayArgs(['--model-catalog', 'fast=gpt-4o-mini, smart = gpt-4.1,llama3']);
    assert.deepEqual(c.modelCatalog, ['fast', 'smart', 'llama3']);
    assert.deepEqual({ ...c.modelAliases }, { fast: 'gpt-4o-mini', smart: 'gpt-4.1', llama3: 'llama3' });
  });

  test('an entry with an empty side, or a name listed twice, is a config error', () => {
    assert.throws(() => parseGatewayArgs(['--model-catalog', 'fast=']), /--model-catalog: "fast=" must be NAME or ALIAS=MODEL/);
    assert.throws(() => parseGatewayArgs(['--model-catalog', '=gpt-4.1']), ConfigError);
    assert.throws(() => parseGatewayArgs(['--model-catalog', 'fast=a,fast=b']), /"fast" is listed twice/);
  });
});

describe('--system-prompt', () => {
  test('TEXT is the prompt; @FILE is read at start', () => {
    assert.equal(parseGatewayArgs(['--system-prompt', 'Be brief.']).systemPrompt, 'Be brief.');
    const file = join(dir, 'prompt.txt');
    writeFileSync(file, 'You are Clawgate.\nAnswer in French.\n');
    assert.equal(parseGatewayArgs(['--system-prompt', `@${file}`]).systemPrompt, 'You are Clawgate.\nAnswer in French.');
  });

  test('a missing @FILE is a config error naming the path', () => {
    const missing = join(dir, 'nope.txt');
    assert.throws(() => parseGatewayArgs(['--system-prompt', `@${missing}`]),
      (e: Error) => e instanceof ConfigError && e.message.includes(missing) && /ENOENT/.test(e.message));
  });
});
