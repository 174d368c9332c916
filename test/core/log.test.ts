import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { ROOT } from '../helpers/cli.js';

// Secrets never reach a log line: the gateway's logger redacts the keys that carry them (spec channels.md §7
// adds the channel credentials: bot tokens, webhook secrets, WhatsApp creds).

test('the logger redacts tokens, channel bot tokens, webhook secrets and creds wherever they appear', () => {
  const code = `import { createLogger } from './src/core/log.ts';
    createLogger('info').info({ token: 't1', botToken: '1:aaa', config: { 'bot-token': '2:bbb', secret: 'sss', botToken: '3:ccc' }, creds: { me: 'x' } }, 'hello');`;
  const line = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
  const rec = JSON.parse(line.trim()) as Record<string, unknown>;
  assert.equal(rec.msg, 'hello');
  for (const secret of ['t1', '1:aaa', '2:bbb', 'sss', '3:ccc', '"me"']) assert.ok(!line.includes(secret), `${secret} leaked: ${line}`);
});
