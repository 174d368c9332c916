import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, parseGatewayArgs, resolveConfig } from '../../src/config.js';
import type { ChannelsConfig } from '../../src/core/channel.js';
import { resolveTarget } from '../../src/cli/gateway-client.js';
import { assertBuilt, childEnv, failsWith, killAll, runCli } from '../helpers/cli.js';

// The config file's `channels` block (spec channels.md §2.1–2.4): every key of §2.2, the account rules of §2.3 and
// every message of §2.4, read through the real `--config` path (parseGatewayArgs) with an injected environment.

const dir = mkdtempSync(join(tmpdir(), 'clawgate-channels-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** A config file holding `doc` (JSON, which YAML reads too) or the YAML text given. */
function configFile(doc: unknown): string {
  const file = join(dir, `config-${++files}.${typeof doc === 'string' ? 'yaml' : 'json'}`);
  writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return file;
}

const TOKEN = '123456:ABC-def_ghi';
const TOKEN2 = '654321:XYZ-uvw_rst';

/** The resolved channels of a config file with `channels: block`. */
function channels(block: unknown, env: NodeJS.ProcessEnv = {}): ChannelsConfig {
  return parseGatewayArgs(['--config', configFile({ channels: block })], env).channels;
}

/** `channels: block` is refused with exactly `message` (`<file>` = the --config argument). */
function refused(block: unknown, message: string, env: NodeJS.ProcessEnv = {}): void {
  const file = configFile({ channels: block });
  assert.throws(() => parseGatewayArgs(['--config', file], env), (err: unknown) => {
    assert.ok(err instanceof ConfigError, `a ConfigError, got ${String(err)}`);
    assert.equal(err.message, message.replace('<file>', file));
    return true;
  });
}

/** The message the block is refused with (for checks that it names no secret). */
function refusal(block: unknown, env: NodeJS.ProcessEnv = {}): string {
  try {
    channels(block, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('the block was accepted');
}

describe('channels config: the §2.4 messages', () => {
  test('an unknown channel', () => {
    refused({ slack: {} }, 'unknown channel "slack" under channels in config file <file> (supported: telegram, whatsapp, signal)');
  });

  test('an unknown key, or a key of another channel, is an unknown option', () => {
    refused({ signal: { 'api-url': 'http://127.0.0.1:8080', account: '+15550001', 'bot-token': TOKEN } }, 'unknown option "channels.signal.bot-token" in config file <file>');
    refused({ telegram: { 'bot-token': TOKEN, 'self-chat-mode': true } }, 'unknown option "channels.telegram.self-chat-mode" in config file <file>');
    refused({ telegram: { 'bot-token': TOKEN, accounts: { work: { 'bot-token': TOKEN2, accounts: {} } } } }, 'unknown option "channels.telegram.accounts.work.accounts" in config file <file>');
    refused({ whatsapp: { groups: { 'x@g.us': { 'dm-policy': 'open' } } } }, 'unknown option "channels.whatsapp.groups.x@g.us.dm-policy" in config file <file>');
  });

  test('an enum value outside its set', () => {
    refused({ telegram: { 'bot-token': TOKEN, 'dm-policy': 'public' } }, 'channels.telegram.dm-policy must be one of pairing, allowlist, open, disabled (got "public")');
    refused({ telegram: { 'bot-token': TOKEN, streaming: 'full' } }, 'channels.telegram.streaming must be one of partial, off (got "full")');
    refused({ whatsapp: { 'group-policy': 'all' } }, 'channels.whatsapp.group-policy must be one of allowlist, open, disabled (got "all")');
    refused({ signal: { 'api-url': 'http://127.0.0.1:8080', account: '+15550001', 'dm-scope': 'global' } }, 'channels.signal.dm-scope must be one of per-channel-peer, main (got "global")');
  });

  test('dm-policy open without "*"', () => {
    refused({ telegram: { 'bot-token': TOKEN, 'dm-policy': 'open', 'allow-from': ['111'] } }, 'channels.telegram.dm-policy "open" needs "*" in allow-from');
    assert.equal(channels({ telegram: { 'bot-token': TOKEN, 'dm-policy': 'open', 'allow-from': ['*'] } }).telegram[0].dmPolicy, 'open');
  });

  test('dm-policy allowlist with nothing to allow', () => {
    refused({ whatsapp: { 'dm-policy': 'allowlist' } }, 'channels.whatsapp.dm-policy "allowlist" needs a non-empty allow-from');
  });

  test('dm-scope main with dm-policy open (shared context with strangers)', () => {
    refused({ telegram: { 'bot-token': TOKEN, 'dm-policy': 'open', 'allow-from': ['*'], 'dm-scope': 'main' } }, 'channels.telegram.dm-scope "main" cannot be combined with dm-policy "open"');
  });

  test('a bad id in allow-from, per channel', () => {
    refused({ whatsapp: { 'allow-from': ['555'] } }, 'channels.whatsapp.allow-from: "555" is not an E.164 number like +15551230000');
    refused({ telegram: { 'bot-token': TOKEN, 'allow-from': ['@alice'] } }, 'channels.telegram.allow-from: "@alice" is not a numeric Telegram user id like 111');
    refused({ signal: { 'api-url': 'http://127.0.0.1:8080', account: '+15550001', 'group-allow-from': ['uuid:nope'] } }, 'channels.signal.group-allow-from: "uuid:nope" is not an E.164 number like +15551230000 or uuid:<uuid>');
  });

  test('Telegram without any token', () => {
    refused({ telegram: { 'dm-policy': 'pairing' } }, 'channels.telegram: no bot-token (set bot-token or env TELEGRAM_BOT_TOKEN, or enabled: false)');
    refused({ telegram: null }, 'channels.telegram: no bot-token (set bot-token or env TELEGRAM_BOT_TOKEN, or enabled: false)');
  });

  test('a malformed token, never echoed', () => {
    refused({ telegram: { 'bot-token': 'hunter2-not-a-token' } }, 'channels.telegram.bot-token does not look like a bot token (<digits>:<secret>)');
    refused({ telegram: { accounts: { work: { 'bot-token': '123:has space' } } } }, 'channels.telegram.accounts.work.bot-token does not look like a bot token (<digits>:<secret>)');
    assert.doesNotMatch(refusal({ telegram: {} }, { TELEGRAM_BOT_TOKEN: 'hunter2-not-a-token' }), /hunter2/);
  });

  test('two accounts on one bot', () => {
    refused({ telegram: { 'bot-token': TOKEN, accounts: { work: { 'bot-token': TOKEN } } } }, 'channels.telegram.accounts.work.bot-token is the same bot as account "default"');
    // the same bot id with another secret (a revoked and reissued token) is still the same bot
    refused({ telegram: { accounts: { a: { 'bot-token': '42:first' }, b: { 'bot-token': '42:second' } } } }, 'channels.telegram.accounts.b.bot-token is the same bot as account "a"');
    refused({ telegram: { accounts: { work: { 'bot-token': TOKEN } } } }, 'channels.telegram.accounts.work.bot-token is the same bot as account "default"', { TELEGRAM_BOT_TOKEN: TOKEN });
  });

  test('api-root: an http(s) URL without /bot<token>, the token scrubbed from the message', () => {
    refused({ telegram: { 'bot-token': TOKEN, 'api-root': `https://api.example.test/bot${TOKEN}` } }, 'channels.telegram.api-root must be an http(s) URL without /bot<token> (got "https://api.example.test/bot<redacted>")');
    refused({ telegram: { 'bot-token': TOKEN, 'api-root': 'ftp://api.example.test' } }, 'channels.telegram.api-root must be an http(s) URL without /bot<token> (got "ftp://api.example.test")');
    refused({ telegram: { 'bot-token': TOKEN, 'api-root': 'not a url' } }, 'channels.telegram.api-root must be an http(s) URL without /bot<token> (got "not a url")');
  });

  test('webhook: secret, https url, and a path the gateway already answers', () => {
    const hook = (webhook: unknown) => ({ telegram: { 'bot-token': TOKEN, webhook } });
    refused(hook({ url: 'https://x.test/tg/hook', secret: 'not allowed!' }), 'channels.telegram.webhook.secret must be 1-256 characters of A-Z a-z 0-9 _ -');
    refused(hook({ url: 'https://x.test/tg/hook' }), 'channels.telegram.webhook.secret must be 1-256 characters of A-Z a-z 0-9 _ -');
    refused(hook({ url: 'https://x.test/tg/hook', secret: 'x'.repeat(257) }), 'channels.telegram.webhook.secret must be 1-256 characters of A-Z a-z 0-9 _ -');
    refused(hook({ url: 'http://x.test/tg/hook', secret: 's3cret' }), 'channels.telegram.webhook.url must be an https URL');
    refused(hook({ secret: 's3cret' }), 'channels.telegram.webhook.url must be an https URL');
    for (const path of ['/health', '/healthz', '/readyz', '/metrics', '/v1/gateway/messages', '/__openclaw__/canvas', '/__clawgate__x', '/']) {
      refused(hook({ url: `https://x.test${path}`, secret: 's3cret' }), `channels.telegram.webhook.url path ${path} is already a gateway route`);
    }
    assert.doesNotMatch(refusal(hook({ url: 'http://x.test/tg/hook', secret: 'TopSecretValue' })), /TopSecretValue/);
  });

  test('two webhooks on one path', () => {
    refused({
      telegram: {
        'bot-token': TOKEN, webhook: { url: 'https://x.test/tg/hook', secret: 'a' },
        accounts: { work: { 'bot-token': TOKEN2, webhook: { url: 'https://y.test/tg/hook', secret: 'b' } } },
      },
    }, 'channels.telegram.accounts.work.webhook.url path /tg/hook is already used by account "default"');
  });

  test('Signal: api-url required, account an E.164 number', () => {
    refused({ signal: { account: '+15550001' } }, 'channels.signal.api-url is required');
    refused({ signal: {} }, 'channels.signal.api-url is required');
    refused({ signal: { 'api-url': 'http://127.0.0.1:8080' } }, 'channels.signal.account must be an E.164 number like +15550001');
    refused({ signal: { 'api-url': 'http://127.0.0.1:8080', account: '15550001' } }, 'channels.signal.account must be an E.164 number like +15550001');
    refused({ signal: { 'api-url': 'http://127.0.0.1:8080', accounts: { two: {} } } }, 'channels.signal.accounts.two.account must be an E.164 number like +15550001');
    refused({ signal: { 'api-url': 'unix:/run/signal.sock', account: '+15550001' } }, 'channels.signal.api-url must be an http(s) URL (got "unix:/run/signal.sock")');
  });

  test('numbers and their ranges', () => {
    refused({ telegram: { 'bot-token': TOKEN, 'text-chunk-limit': 5000 } }, 'channels.telegram.text-chunk-limit must be an integer from 100 to 4096');
    refused({ telegram: { 'bot-token': TOKEN, 'text-chunk-limit': 99 } }, 'channels.telegram.text-chunk-limit must be an integer from 100 to 4096');
    refused({ whatsapp: { 'text-chunk-limit': 70000 } }, 'channels.whatsapp.text-chunk-limit must be an integer from 100 to 65536');
    refused({ whatsapp: { 'history-limit': 501 } }, 'channels.whatsapp.history-limit must be an integer from 0 to 500');
    refused({ whatsapp: { 'history-limit': 1.5 } }, 'channels.whatsapp.history-limit must be an integer from 0 to 500');
    refused({ whatsapp: { 'media-max-mb': 0 } }, 'channels.whatsapp.media-max-mb must be a number greater than 0');
    assert.equal(channels({ whatsapp: { 'text-chunk-limit': 65536, 'history-limit': 0, 'media-max-mb': 0.5 } }).whatsapp[0].mediaMaxMb, 0.5);
  });

  test('account ids', () => {
    refused({ telegram: { accounts: { 'Work!': { 'bot-token': TOKEN } } } }, 'channels.telegram.accounts: account id "Work!" must match [a-z0-9][a-z0-9_-]{0,31}');
    refused({ telegram: { accounts: { ['a'.repeat(33)]: { 'bot-token': TOKEN } } } }, `channels.telegram.accounts: account id "${'a'.repeat(33)}" must match [a-z0-9][a-z0-9_-]{0,31}`);
    refused({ whatsapp: { accounts: { default: {} } } }, 'channels.whatsapp.accounts: account id "default" is taken by the top level of channels.whatsapp');
  });

  test('other value kinds: booleans, lists, mappings, mention patterns', () => {
    refused({ whatsapp: { enabled: 'yes' } }, 'channels.whatsapp.enabled must be true or false');
    refused({ whatsapp: { 'allow-from': '+15551230000' } }, 'channels.whatsapp.allow-from must be a list');
    refused({ whatsapp: { groups: ['x@g.us'] } }, 'channels.whatsapp.groups must be a mapping in config file <file>');
    refused({ whatsapp: { 'mention-patterns': ['bot', ' '] } }, 'channels.whatsapp.mention-patterns must be non-empty strings');
    refused({ telegram: { 'bot-token': TOKEN, groups: { '100123': {} } } }, 'channels.telegram.groups: "100123" is not a Telegram group id (a negative number like -100123) or "*"');
    refused(['telegram'], 'channels must be a mapping in config file <file>');
  });
});

describe('channels config: resolution', () => {
  test('no channels block: no account of any channel (resolveConfig({}) too)', () => {
    const empty = { telegram: [], whatsapp: [], signal: [] };
    assert.deepEqual(resolveConfig({}).channels, empty);
    assert.deepEqual(parseGatewayArgs(['--config', configFile({ port: 0 })], { TELEGRAM_BOT_TOKEN: TOKEN }).channels, empty);
    assert.deepEqual(parseGatewayArgs([], { TELEGRAM_BOT_TOKEN: TOKEN }).channels, empty);
  });

  test('defaults of a minimal Telegram block', () => {
    const [account, ...rest] = channels({ telegram: { 'bot-token': TOKEN } }).telegram;
    assert.equal(rest.length, 0);
    assert.deepEqual(account, {
      channel: 'telegram', accountId: 'default', enabled: true, dmPolicy: 'pairing', dmScope: 'per-channel-peer',
      allowFrom: [], groupPolicy: 'allowlist', groups: new Map(), requireMention: true, mentionPatterns: [],
      historyLimit: 50, textChunkLimit: 4000, mediaMaxMb: 20,
      botToken: TOKEN, tokenSource: 'config', apiRoot: 'https://api.telegram.org', streaming: 'partial',
    });
  });

  test('every Telegram key of §2.2, as in the reference block', () => {
    const [account] = channels({
      telegram: {
        enabled: true, 'bot-token': TOKEN, 'api-root': 'http://127.0.0.1:8081/', 'dm-policy': 'allowlist', 'dm-scope': 'main',
        'allow-from': ['tg:111', 'telegram:222', 333, '111'], 'group-policy': 'open', 'group-allow-from': ['444'],
        groups: { '-100123': { 'require-mention': false, 'allow-from': ['TG:555'] }, '*': null },
        'require-mention': false, 'mention-patterns': ['@ClawBot'], 'history-limit': 10, streaming: 'off',
        'text-chunk-limit': 4096, 'media-max-mb': 100, webhook: { url: 'https://bot.example.com/telegram/webhook', secret: 'Ab_9-z' },
      },
    }).telegram;
    assert.equal(account.apiRoot, 'http://127.0.0.1:8081');
    assert.deepEqual(account.allowFrom, ['111', '222', '333']);
    assert.deepEqual(account.groupAllowFrom, ['444']);
    assert.deepEqual([...account.groups], [['-100123', { requireMention: false, allowFrom: ['555'] }], ['*', {}]]);
    assert.deepEqual(account.mentionPatterns, ['@clawbot']);
    assert.deepEqual(account.webhook, { url: 'https://bot.example.com/telegram/webhook', path: '/telegram/webhook', secret: 'Ab_9-z' });
    assert.deepEqual(
      [account.dmPolicy, account.dmScope, account.groupPolicy, account.requireMention, account.historyLimit, account.streaming, account.textChunkLimit, account.mediaMaxMb],
      ['allowlist', 'main', 'open', false, 10, 'off', 4096, 100],
    );
  });

  test('WhatsApp and Signal keys, ids normalized', () => {
    const { whatsapp, signal } = channels({
      whatsapp: { 'allow-from': ['+1 555-123 0000'], 'self-chat-mode': true, 'send-read-receipts': false, groups: { '120363-1@g.us': {} } },
      signal: { 'api-url': 'https://signal.lan:8080/', account: '+1 555 0001', 'allow-from': ['+15551230000', 'UUID:0A0B0C0D-1111-2222-3333-44445555AAAA'] },
    });
    assert.deepEqual(
      [whatsapp[0].accountId, whatsapp[0].allowFrom, whatsapp[0].selfChatMode, whatsapp[0].sendReadReceipts, whatsapp[0].mediaMaxMb, [...whatsapp[0].groups.keys()]],
      ['default', ['+15551230000'], true, false, 50, ['120363-1@g.us']],
    );
    assert.deepEqual(
      [signal[0].apiUrl, signal[0].account, signal[0].allowFrom, signal[0].sendReadReceipts, signal[0].mediaMaxMb],
      ['https://signal.lan:8080', '+15550001', ['+15551230000', 'uuid:0a0b0c0d-1111-2222-3333-44445555aaaa'], false, 8],
    );
    assert.equal(channels({ whatsapp: null }).whatsapp[0].sendReadReceipts, true);
  });

  test('accounts inherit the top level but for bot-token and webhook, and override what they set', () => {
    const [base, work, quiet] = channels({
      telegram: {
        'bot-token': TOKEN, 'api-root': 'http://127.0.0.1:9/', 'dm-policy': 'allowlist', 'allow-from': ['111'], streaming: 'off',
        groups: { '-1001': {} }, webhook: { url: 'https://x.test/a', secret: 's' },
        accounts: { work: { botToken: TOKEN2, 'allow-from': ['222'] }, quiet: { enabled: false } },
      },
    }).telegram;
    assert.deepEqual([base.accountId, work.accountId, quiet.accountId], ['default', 'work', 'quiet']);
    assert.deepEqual([work.apiRoot, work.dmPolicy, work.streaming, [...work.groups.keys()]], ['http://127.0.0.1:9', 'allowlist', 'off', ['-1001']]);
    assert.deepEqual(work.allowFrom, ['222']);
    assert.equal(work.botToken, TOKEN2);
    assert.equal(work.webhook, undefined);
    assert.notEqual(work.groups, base.groups, 'each account has its own Map');
    // a disabled account needs no token of its own
    assert.deepEqual([quiet.enabled, quiet.botToken], [false, '']);
    // an account without a token of its own does not inherit the top level's
    refused({ telegram: { 'bot-token': TOKEN, accounts: { work: { 'dm-policy': 'open', 'allow-from': ['*'] } } } }, 'channels.telegram.accounts.work: no bot-token (set bot-token, or enabled: false)');
    // an inherited value is checked with the account's own keys
    refused({ telegram: { 'bot-token': TOKEN, 'dm-policy': 'open', 'allow-from': ['*'], accounts: { work: { 'bot-token': TOKEN2, 'allow-from': ['1'] } } } }, 'channels.telegram.accounts.work.dm-policy "open" needs "*" in allow-from');
  });

  test('without a top-level token there is no default account', () => {
    const accounts = channels({ telegram: { 'dm-policy': 'disabled', accounts: { work: { 'bot-token': TOKEN } } } }).telegram;
    assert.deepEqual(accounts.map((a) => [a.accountId, a.dmPolicy]), [['work', 'disabled']]);
    const signal = channels({ signal: { 'api-url': 'http://127.0.0.1:8080', accounts: { two: { account: '+15550002' } } } }).signal;
    assert.deepEqual(signal.map((a) => [a.accountId, a.apiUrl, a.account]), [['two', 'http://127.0.0.1:8080', '+15550002']]);
  });

  test('enabled: false keeps the block but needs no token', () => {
    const [account] = channels({ telegram: { enabled: false } }).telegram;
    assert.deepEqual([account.accountId, account.enabled, account.botToken], ['default', false, '']);
  });

  test('env TELEGRAM_BOT_TOKEN is the default account\'s token; the file wins', () => {
    const fromEnv = channels({ telegram: {} }, { TELEGRAM_BOT_TOKEN: ` ${TOKEN}\n` }).telegram[0];
    assert.deepEqual([fromEnv.botToken, fromEnv.tokenSource], [TOKEN, 'env']);
    const fromFile = channels({ telegram: { 'bot-token': TOKEN2 } }, { TELEGRAM_BOT_TOKEN: TOKEN }).telegram[0];
    assert.deepEqual([fromFile.botToken, fromFile.tokenSource], [TOKEN2, 'config']);
    // only the default account reads it
    refused({ telegram: { accounts: { work: {} } } }, 'channels.telegram.accounts.work: no bot-token (set bot-token, or enabled: false)', { TELEGRAM_BOT_TOKEN: TOKEN2 });
    refused({ telegram: {} }, 'env TELEGRAM_BOT_TOKEN does not look like a bot token (<digits>:<secret>)', { TELEGRAM_BOT_TOKEN: 'nope' });
  });

  test('CLI clients reading the gateway\'s --config see the Telegram token of the environment too', () => {
    const file = configFile({ port: 18790, channels: { telegram: { 'dm-policy': 'pairing' } } });
    assert.equal(resolveTarget({ config: file }, { TELEGRAM_BOT_TOKEN: TOKEN }).url, 'ws://127.0.0.1:18790');
  });

  test('camelCase keys are the same keys; both spellings in one mapping are an error', () => {
    const [account] = channels({
      telegram: { botToken: TOKEN, dmPolicy: 'allowlist', allowFrom: ['1'], textChunkLimit: 200, groups: { '-5': { requireMention: false, allowFrom: ['2'] } } },
    }).telegram;
    assert.deepEqual([account.dmPolicy, account.allowFrom, account.textChunkLimit, account.groups.get('-5')], ['allowlist', ['1'], 200, { requireMention: false, allowFrom: ['2'] }]);
    refused({ telegram: { botToken: TOKEN, 'bot-token': TOKEN } }, 'channels.telegram: "botToken" and "bot-token" are the same option, give one of them in config file <file>');
    refused({ whatsapp: { groups: { 'g@g.us': { 'require-mention': true, requireMention: false } } } }, 'channels.whatsapp.groups.g@g.us: "require-mention" and "requireMention" are the same option, give one of them in config file <file>');
    // ids as keys are never converted: "myWork" is not read as "my-work"
    refused({ whatsapp: { accounts: { myWork: {} } } }, 'channels.whatsapp.accounts: account id "myWork" must match [a-z0-9][a-z0-9_-]{0,31}');
    // the top level of the file follows the same rule
    const file = configFile({ maxBodyBytes: 10, 'max-body-bytes': 20 });
    assert.throws(() => parseGatewayArgs(['--config', file], {}), { message: `"maxBodyBytes" and "max-body-bytes" are the same option, give one of them in config file ${file}` });
  });

  test('groups are a Map: __proto__ and constructor are ids like any other', () => {
    const yaml = [
      'channels:',
      '  signal:',
      '    api-url: http://127.0.0.1:8080',
      '    account: "+15550001"',
      '    groups:',
      '      __proto__: { require-mention: false }',
      '      constructor: { allow-from: ["+15551230000"] }',
      '      toString: {}',
      '    accounts:',
      '      constructor: { account: "+15550002" }',
    ].join('\n');
    for (const file of [configFile(yaml), configFile({ channels: { signal: {
      'api-url': 'http://127.0.0.1:8080', account: '+15550001',
      groups: JSON.parse('{"__proto__": {"require-mention": false}, "constructor": {"allow-from": ["+15551230000"]}, "toString": {}}'),
      accounts: { constructor: { account: '+15550002' } },
    } } })]) {
      const signal = parseGatewayArgs(['--config', file], {}).channels.signal;
      const groups = signal[0].groups;
      assert.ok(groups instanceof Map);
      assert.deepEqual([...groups], [['__proto__', { requireMention: false }], ['constructor', { allowFrom: ['+15551230000'] }], ['toString', {}]]);
      assert.equal(groups.get('hasOwnProperty'), undefined);
      assert.deepEqual(signal.map((a) => a.accountId), ['default', 'constructor']);
      assert.equal(({} as Record<string, unknown>).requireMention, undefined, 'Object.prototype untouched');
    }
    // a Telegram group id must be a negative number, so __proto__ is refused there with a clear message
    refused({ telegram: { 'bot-token': TOKEN, groups: JSON.parse('{"__proto__": {}}') } }, 'channels.telegram.groups: "__proto__" is not a Telegram group id (a negative number like -100123) or "*"');
  });
});

describe('channels config: the real CLI', () => {
  after(killAll);

  test('a bad channels value stops `clawgate gateway` before it binds: exit 2, one line on stderr, no secret', async () => {
    assertBuilt();
    const file = configFile(['channels:', '  telegram:', `    bot-token: "${TOKEN}"`, '    dm-policy: public'].join('\n'));
    const r = await runCli(['gateway', '--config', file, '--port', '0', '--state-dir', join(dir, 'state')], childEnv());
    failsWith(r, 2);
    assert.equal(r.stderr, 'clawgate: channels.telegram.dm-policy must be one of pairing, allowlist, open, disabled (got "public")\n');
    assert.doesNotMatch(r.stderr, /ABC-def/);
  });

  test('an unknown channel key names the --config argument as given', async () => {
    assertBuilt();
    const file = configFile({ channels: { signal: { 'api-url': 'http://127.0.0.1:8080', account: '+15550001', botToken: TOKEN } } });
    const r = await runCli(['gateway', '--config', file, '--port', '0', '--state-dir', join(dir, 'state')], childEnv());
    failsWith(r, 2);
    assert.equal(r.stderr, `clawgate: unknown option "channels.signal.botToken" in config file ${file}\n`);
  });
});
