import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { scrubToken } from '../../src/cli/doctor-telegram.js';
import { assertBuilt, exits, freePort, killAll, runCli, tempDir } from '../helpers/cli.js';

// `clawgate doctor --config FILE` with Telegram accounts: one check per account, getMe on its api-root (a tiny
// Bot API on 127.0.0.1 here: ok for one token, 401 for any other); the token is never printed.

const GOOD = '123456:good-secret_ABC';
const BAD = '654321:bad-secret_XYZ';
const OFF = '777777:off-secret_QRS';

describe('clawgate doctor: Telegram accounts', () => {
  let server: Server;
  let apiRoot: string;
  const paths: string[] = [];

  before(async () => {
    assertBuilt();
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === `/bot${GOOD}/getMe`) return json(200, { ok: true, result: { id: 123456, is_bot: true, first_name: 'T', username: 't_bot' } });
      return json(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiRoot = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await killAll();
  });

  test('ok for a working token, a problem for a refused one; the token never printed', async () => {
    const file = join(tempDir(), 'clawgate.yaml');
    writeFileSync(file, [
      'channels:',
      '  telegram:',
      `    bot-token: "${GOOD}"`,
      `    api-root: "${apiRoot}/"`,
      '    accounts:',
      `      work: { bot-token: "${BAD}" }`,
      `      off: { bot-token: "${OFF}", enabled: false }`,
      '',
    ].join('\n'));
    const args = ['doctor', '--config', file, '--state-dir', tempDir(), '--port', String(await freePort())];
    const r = await runCli(args);
    exits(r, 1);
    assert.match(r.stdout, /^ok\s+telegram\s+telegram\/default: bot @t_bot \(id 123456\)$/m);
    assert.match(r.stdout, /^PROBLEM\s+telegram\s+telegram\/work: getMe failed: HTTP 401 Unauthorized\n\s+fix: check the bot-token/m);
    assert.doesNotMatch(r.stdout, /telegram\/off/);
    for (const secret of [GOOD, BAD, OFF, 'good-secret', 'bad-secret']) assert.ok(!r.stdout.includes(secret), `${secret} printed`);
    assert.deepEqual(paths.slice(-2).sort(), [`/bot${BAD}/getMe`, `/bot${GOOD}/getMe`].sort());
    const json = await runCli([...args, '--json']);
    exits(json, 1);
    const checks = JSON.parse(json.stdout).checks.filter((c: { check: string }) => c.check === 'telegram');
    assert.equal(checks.length, 2);
    assert.ok(!json.stdout.includes('secret'));
  });

  test('every account answers getMe → healthy, exit 0', async () => {
    const file = join(tempDir(), 'ok.yaml');
    writeFileSync(file, `channels:\n  telegram:\n    bot-token: "${GOOD}"\n    api-root: "${apiRoot}"\n`);
    const r = await runCli(['doctor', '--config', file, '--state-dir', tempDir(), '--port', String(await freePort())]);
    exits(r, 0);
    assert.match(r.stdout, /^ok\s+telegram\s+telegram\/default: bot @t_bot \(id 123456\)$/m);
    assert.match(r.stdout, /\nhealthy\n$/);
  });

  test('an unreachable api-root: the reason, not the URL with the token', async () => {
    const file = join(tempDir(), 'c.json');
    writeFileSync(file, JSON.stringify({ channels: { telegram: { botToken: GOOD, apiRoot: `http://127.0.0.1:${await freePort()}` } } }));
    const r = await runCli(['doctor', '--config', file, '--state-dir', tempDir(), '--port', String(await freePort())]);
    exits(r, 1);
    assert.match(r.stdout, /^PROBLEM\s+telegram\s+telegram\/default: getMe failed: ECONNREFUSED\n\s+fix: check api-root/m);
    assert.ok(!r.stdout.includes('good-secret'));
  });

  test('no channels block: no telegram check', async () => {
    const file = join(tempDir(), 'plain.yaml');
    writeFileSync(file, 'log-level: info\n');
    const r = await runCli(['doctor', '--json', '--config', file, '--state-dir', tempDir(), '--port', String(await freePort())]);
    assert.ok(!JSON.parse(r.stdout).checks.some((c: { check: string }) => c.check === 'telegram'));
  });
});

after(() => killAll());

test('scrubToken removes the token and every /bot<…> segment', () => {
  assert.equal(scrubToken(`GET https://x/bot${GOOD}/getMe failed (${GOOD})`, GOOD), 'GET https://x/bot<redacted>/getMe failed (<redacted>)');
});
