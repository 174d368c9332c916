import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { pino } from 'pino';
import { createTelegramApi } from '../../../../src/surfaces/channels/telegram/bot-api.js';
import { syncCommandMenu } from '../../../../src/surfaces/channels/telegram/commands-menu.js';
import { probeTelegram } from '../../../../src/surfaces/channels/telegram/probe.js';
import { startFakeTelegram } from '../../../helpers/fake-telegram.js';

// TG10 command menu (registered only when the list changed; failures never thrown) and the getMe probe.

const commands = [{ command: 'status', description: 'Show the session' }, { command: 'new', description: 'Start over' }];

test('TG10: setMyCommands once per distinct list; a failure is logged, not thrown, and retried next time', async (t) => {
  const tg = await startFakeTelegram();
  t.after(() => tg.close());
  const api = createTelegramApi({ botToken: tg.token, apiRoot: tg.apiRoot });
  let stored: string | undefined;
  const meta = { get: () => stored, set: (v: string) => { stored = v; } };
  const log = pino({ level: 'silent' });
  tg.failNext('setMyCommands', { error_code: 400, description: 'Bad Request: BOT_COMMAND_INVALID' });
  assert.equal(await syncCommandMenu(api, commands, meta, log), false);
  assert.equal(stored, undefined);
  assert.equal(await syncCommandMenu(api, commands, meta, log), true);
  assert.equal(await syncCommandMenu(api, commands, meta, log), false, 'unchanged list: no call');
  assert.equal(await syncCommandMenu(api, commands.slice(0, 1), meta, log), true);
  assert.equal(tg.callsOf('setMyCommands').length, 3);
  assert.deepEqual(tg.callsOf('setMyCommands')[1].body.commands, commands);
});

test('probeTelegram: ok with the bot; 401 → unauthorized; a refused port → an error without the token', async (t) => {
  const tg = await startFakeTelegram();
  t.after(() => tg.close());
  const ok = await probeTelegram({ botToken: tg.token, apiRoot: tg.apiRoot }, 5000);
  assert.deepEqual([ok.ok, ok.bot], [true, { id: 123, username: 't_bot' }]);
  const bad = await probeTelegram({ botToken: '123:wrong', apiRoot: tg.apiRoot }, 5000);
  assert.deepEqual([bad.ok, bad.error], [false, 'unauthorized: check bot-token']);
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
  const token = '123456:AAEsecretsecretsecretsecretsecret123';
  const down = await probeTelegram({ botToken: token, apiRoot: `http://127.0.0.1:${port}` }, 5000);
  assert.equal(down.ok, false);
  assert.ok(down.error && !down.error.includes('secret'), down.error);
});
