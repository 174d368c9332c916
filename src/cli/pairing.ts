import { age, fields, printJson, table, text } from './format.js';
import {
  CONNECTION_OPTIONS, CONNECTION_USAGE, GatewayError, UsageError, parseCommandArgs, resolveTarget, runOwnerCommand, withGateway,
  type GatewayConnection,
} from './gateway-client.js';

// `clawgate pairing list|approve|reject`: the owner's side of channel DM pairing (channels.md C3, §5.4:
// channels.pairing.list / approve / reject, scope operator.pairing). A request's id is its code.

/** The `clawgate pairing --help` text. */
export const PAIRING_USAGE = `usage: clawgate pairing <command> [options]

DM pairing requests of the running gateway's channel accounts (Telegram, WhatsApp, Signal). A stranger who
DMs an account under dm-policy pairing gets a code; approving it lets that sender DM the account.

  list [channel]                 pending requests (expired and rejected ones are not shown)
  approve <channel> <CODE>       let the sender DM the account; the first approval makes the sender its owner
  reject <channel> <CODE>        refuse the request; the sender gets no new code for 24 h

  --account ID           the channel account (default: the request's account, else "default")
  --notify               approve: tell the sender "Access approved. Send a message to start chatting."

${CONNECTION_USAGE}`;

const OPTIONS = { ...CONNECTION_OPTIONS, account: { type: 'string' }, notify: { type: 'boolean' } } as const;

/** Runs `clawgate pairing …` against the running gateway; resolves with the process exit code. */
export function pairing(args: string[]): Promise<number> {
  return runOwnerCommand(async () => {
    const { values, positionals } = parseCommandArgs(args, OPTIONS);
    const [sub, ...rest] = positionals;
    if (values.help || sub === 'help') {
      process.stdout.write(PAIRING_USAGE);
      return;
    }
    if (sub === undefined) throw new UsageError('pairing: missing command: list, approve or reject (see clawgate pairing --help)');
    if (sub !== 'list' && sub !== 'approve' && sub !== 'reject') throw new UsageError(`pairing: unknown command "${sub}" (list, approve, reject)`);
    const account = values.account?.trim();
    if (account === '') throw new UsageError('--account is empty');
    if (sub === 'list') {
      if (rest.length > 1) throw new UsageError(`pairing list: unexpected argument "${rest[1]}"`);
      if (values.notify) throw new UsageError('--notify applies to pairing approve only');
      const target = resolveTarget(values);
      const params = { ...(rest[0] !== undefined ? { channel: rest[0] } : {}), ...(account !== undefined ? { accountId: account } : {}) };
      await withGateway(target, async (gw) => {
        const res = await gw.request('channels.pairing.list', params);
        if (values.json) return printJson(res);
        process.stdout.write(renderRequests(res));
      });
      return;
    }
    if (rest.length < 1) throw new UsageError(`pairing ${sub}: missing <channel> and <CODE>`);
    if (rest.length < 2) throw new UsageError(`pairing ${sub}: missing <CODE>`);
    if (rest.length > 2) throw new UsageError(`pairing ${sub}: unexpected argument "${rest[2]}"`);
    if (sub === 'reject' && values.notify) throw new UsageError('--notify applies to pairing approve only');
    const [channel, code] = rest.map((a) => a.trim());
    if (channel === '' || code === '') throw new UsageError(`pairing ${sub}: <channel> and <CODE> must not be empty`);
    const target = resolveTarget(values);

    await withGateway(target, async (gw) => {
      const accountId = account ?? await accountOf(gw, channel, code);
      const params = { channel, code, ...(accountId !== undefined ? { accountId } : {}) };
      const res = sub === 'approve'
        ? await gw.request('channels.pairing.approve', { ...params, ...(values.notify ? { notify: true } : {}) })
        : await gw.request('channels.pairing.reject', params);
      if (values.json) return printJson(res);
      const r = fields(res);
      const owner = sub === 'approve' && r.commandOwnerBootstrap === 'configured' ? ', now the owner' : '';
      process.stdout.write(`${sub === 'approve' ? 'approved' : 'rejected'} ${text(r.senderId)} on ${channel}/${accountId ?? 'default'}${owner}\n`);
    });
  });
}

/** The account of the one pending request with this code on this channel (codes are unique per account only). */
async function accountOf(gw: GatewayConnection, channel: string, code: string): Promise<string | undefined> {
  // a refused lookup (unknown channel…) leaves the account to the gateway: its answer to the decision is the error shown
  const listing = await gw.request('channels.pairing.list', { channel }).catch((err: unknown) => {
    if (err instanceof GatewayError) return undefined;
    throw err;
  });
  const { requests } = fields(listing);
  const matches = (Array.isArray(requests) ? requests.map(fields) : [])
    .filter((r) => typeof r.requestId === 'string' && r.requestId.toUpperCase() === code.toUpperCase());
  return matches.length === 1 && typeof matches[0].accountId === 'string' ? matches[0].accountId : undefined;
}

/** `59m` until an ISO time; `-` when unknown, `0s` when past. */
function until(iso: unknown, now: number): string {
  const at = typeof iso === 'string' ? Date.parse(iso) : NaN;
  if (!Number.isFinite(at)) return '-';
  const left = at - now;
  return age(now - left, now); // age() formats the time since a moment: here, the moment as far back as `at` is ahead
}

function renderRequests(res: unknown, now = Date.now()): string {
  const { requests: r } = fields(res);
  const requests = Array.isArray(r) ? r.map(fields) : [];
  if (requests.length === 0) return 'Pending pairing requests: none\n';
  return table(['CHANNEL', 'ACCOUNT', 'CODE', 'SENDER', 'LABEL', 'AGE', 'EXPIRES-IN'], requests.map((q) => [
    text(q.channel), text(q.accountId), text(q.requestId), text(q.senderId), text(q.senderLabel),
    age(typeof q.createdAt === 'string' ? Date.parse(q.createdAt) : undefined, now), until(q.expiresAt, now),
  ]));
}
