import { LoginFailed, loginWhatsApp } from './channels-login.js';
import { age, fields, printJson, table, text, yesNo } from './format.js';
import {
  CONNECTION_OPTIONS, CONNECTION_USAGE, UsageError, parseCommandArgs, resolveTarget, runOwnerCommand, withGateway,
} from './gateway-client.js';

// `clawgate channels status|logout|login`: the running gateway's messaging channel accounts (channels.md §5.4:
// channels.status, channels.logout). `login` is WhatsApp's QR / pairing-code link (channels-login.ts).

/** The `clawgate channels --help` text. */
export const CHANNELS_USAGE = `usage: clawgate channels <command> [options]

Messaging channel accounts (Telegram, WhatsApp, Signal) of the running gateway.

  status                      one row per account: state, connection, mode, last inbound message, last error
  logout <channel>            unlink the account and delete its credentials (WhatsApp only)
  login whatsapp              link WhatsApp as a device: scan the QR code shown (or enter the pairing code)

  --probe                status: check each account live (Telegram getMe, Signal /v1/about, WhatsApp socket)
  --account ID           logout, login: the channel account (default "default")
  --pairing-code +E164   login whatsapp: link with a pairing code for this number instead of a QR code

${CONNECTION_USAGE}`;

const OPTIONS = {
  ...CONNECTION_OPTIONS, probe: { type: 'boolean' }, account: { type: 'string' }, 'pairing-code': { type: 'string' },
} as const;

/** Shown when the gateway answered but the command could not do its work (exit 1). */
class CommandFailed extends Error {}

/** Runs `clawgate channels …` against the running gateway; resolves with the process exit code. */
export async function channels(args: string[]): Promise<number> {
  try {
    return await runOwnerCommand(() => run(args));
  } catch (err) {
    if (!(err instanceof CommandFailed)) throw err;
    process.stderr.write(`clawgate: ${err.message}\n`);
    return 1;
  }
}

async function run(args: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS);
  const [sub, ...rest] = positionals;
  if (values.help || sub === 'help') {
    process.stdout.write(CHANNELS_USAGE);
    return;
  }
  if (sub === undefined) throw new UsageError('channels: missing command: status, logout or login (see clawgate channels --help)');
  if (sub !== 'status' && sub !== 'logout' && sub !== 'login') throw new UsageError(`channels: unknown command "${sub}" (status, logout, login)`);
  const only = (flag: string, cmd: string, set: unknown) => {
    if (set !== undefined) throw new UsageError(`--${flag} applies to channels ${cmd} only`);
  };
  if (sub !== 'status') only('probe', 'status', values.probe);
  if (sub !== 'login') only('pairing-code', 'login whatsapp', values['pairing-code']);
  if (sub === 'status') {
    only('account', 'logout and login', values.account);
    if (rest.length > 0) throw new UsageError(`channels status: unexpected argument "${rest[0]}"`);
    const target = resolveTarget(values);
    await withGateway(target, async (gw) => {
      const res = await gw.request('channels.status', values.probe ? { probe: true } : {});
      if (values.json) return printJson(res);
      process.stdout.write(renderStatus(res, values.probe === true));
    });
    return;
  }
  if (rest.length < 1) throw new UsageError(`channels ${sub}: missing <channel>`);
  if (rest.length > 1) throw new UsageError(`channels ${sub}: unexpected argument "${rest[1]}"`);
  const channel = rest[0].trim();
  const account = values.account?.trim();
  if (channel === '') throw new UsageError(`channels ${sub}: <channel> is empty`);
  if (account === '') throw new UsageError('--account is empty');
  if (sub === 'login') {
    if (channel !== 'whatsapp') throw new UsageError(`channels login: only whatsapp links by login (got "${channel}"; Telegram uses bot-token, Signal its signal-cli-rest-api server)`);
    const phone = values['pairing-code']?.trim();
    if (phone !== undefined && !/^\+?[0-9][0-9 ()-]{5,}$/.test(phone)) throw new UsageError(`--pairing-code must be a phone number in E.164 form (+15551230000), got "${phone}"`);
    const target = resolveTarget(values);
    await withGateway(target, async (gw) => {
      try {
        await loginWhatsApp(gw, { ...(account !== undefined ? { accountId: account } : {}), ...(phone ? { phoneNumber: phone } : {}) },
          { out: (t) => process.stdout.write(t), now: Date.now });
      } catch (err) {
        if (err instanceof LoginFailed) throw new CommandFailed(`channels login whatsapp: ${err.message}`);
        throw err;
      }
    });
    return;
  }
  const target = resolveTarget(values);
  await withGateway(target, async (gw) => {
    const res = await gw.request('channels.logout', { channel, ...(account !== undefined ? { accountId: account } : {}) });
    if (values.json) return printJson(res);
    const r = fields(res);
    process.stdout.write(`logged out ${text(r.channel ?? channel)}/${text(r.accountId ?? account ?? 'default')}\n`);
  });
}

/** One row per account, in the gateway's channel order; a PROBE column with --probe. */
function renderStatus(res: unknown, probe: boolean, now = Date.now()): string {
  const { channelOrder, channelAccounts } = fields(res);
  const order = Array.isArray(channelOrder) ? channelOrder.filter((c): c is string => typeof c === 'string') : [];
  const rows: string[][] = [];
  for (const channel of order) {
    const accounts = fields(channelAccounts)[channel];
    for (const a of Array.isArray(accounts) ? accounts.map(fields) : []) {
      // cluster mode: an account in standby runs on the instance holding its lease
      const state = a.state === 'standby' && typeof a.leaseOwner === 'string' ? `standby (owned by ${a.leaseOwner})` : text(a.state);
      const row = [channel, text(a.accountId), state, yesNo(a.connected), text(a.mode), age(a.lastInboundAt, now), text(a.lastError)];
      if (probe) row.push(probeCell(a.probe));
      rows.push(row);
    }
  }
  if (rows.length === 0) return 'Channel accounts: none configured\n';
  const headers = ['CHANNEL', 'ACCOUNT', 'STATE', 'CONNECTED', 'MODE', 'LAST-INBOUND', 'LAST-ERROR'];
  return table(probe ? [...headers, 'PROBE'] : headers, rows);
}

function probeCell(v: unknown): string {
  const p = fields(v);
  if (p.ok === true) return `ok ${text(p.elapsedMs)}ms`;
  if (p.ok === false) return `failed: ${text(p.error)}`;
  return '-';
}
