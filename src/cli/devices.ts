import { age, client, fields, list, printJson, short, table, text, yesNo } from './format.js';
import {
  CONNECTION_OPTIONS, CONNECTION_USAGE, UsageError, parseCommandArgs, resolveTarget, runOwnerCommand, withGateway,
} from './gateway-client.js';

// `clawgate devices list|approve|reject|remove`: the owner's side of device pairing
// (openclaw-protocol.md §10.6: device.pair.list / approve / reject / remove, scope operator.pairing).

/** The `clawgate devices --help` text. */
export const DEVICES_USAGE = `usage: clawgate devices <command> [options]

Pairing requests and paired devices of the running gateway.

  list                  pending pairing requests and paired devices
  approve <requestId>   approve a pending request (the device then connects and gets its device token)
  reject <requestId>    reject a pending request
  remove <deviceId>     unpair a device: its device tokens stop working and its open connections are closed

${CONNECTION_USAGE}`;

const SUBCOMMANDS: Record<string, number> = { list: 0, approve: 1, reject: 1, remove: 1 };
const ARG_NAME: Record<string, string> = { approve: 'requestId', reject: 'requestId', remove: 'deviceId' };

/** Runs `clawgate devices …` against the running gateway; resolves with the process exit code. */
export function devices(args: string[]): Promise<number> {
  return runOwnerCommand(async () => {
    const { values, positionals } = parseCommandArgs(args, CONNECTION_OPTIONS);
    const [sub, ...rest] = positionals;
    if (values.help || sub === 'help') {
      process.stdout.write(DEVICES_USAGE);
      return;
    }
    if (sub === undefined) throw new UsageError('devices: missing command: list, approve, reject or remove (see clawgate devices --help)');
    if (!Object.hasOwn(SUBCOMMANDS, sub)) throw new UsageError(`devices: unknown command "${sub}" (list, approve, reject, remove)`);
    if (rest.length < SUBCOMMANDS[sub]) throw new UsageError(`devices ${sub}: missing <${ARG_NAME[sub]}>`);
    if (rest.length > SUBCOMMANDS[sub]) throw new UsageError(`devices ${sub}: unexpected argument "${rest[SUBCOMMANDS[sub]]}"`);
    const arg = rest[0]?.trim();
    if (arg === '') throw new UsageError(`devices ${sub}: <${ARG_NAME[sub]}> is empty`);
    const target = resolveTarget(values);

    await withGateway(target, async (gw) => {
      switch (sub) {
        case 'list': {
          const res = await gw.request('device.pair.list', {});
          if (values.json) return printJson(res);
          process.stdout.write(renderList(res));
          return;
        }
        case 'approve': {
          const res = await gw.request('device.pair.approve', { requestId: arg });
          if (values.json) return printJson(res);
          const r = fields(res);
          const d = fields(r.device);
          process.stdout.write(`approved ${text(r.requestId ?? arg)}: device ${text(d.deviceId)} (${client(d)}; roles ${list(d.roles)}; scopes ${list(d.scopes)})\n`);
          return;
        }
        case 'reject': {
          const res = await gw.request('device.pair.reject', { requestId: arg });
          if (values.json) return printJson(res);
          const r = fields(res);
          process.stdout.write(`rejected ${text(r.requestId ?? arg)}${r.deviceId ? ` (device ${text(r.deviceId)})` : ''}\n`);
          return;
        }
        case 'remove': {
          const res = await gw.request('device.pair.remove', { deviceId: arg });
          if (values.json) return printJson(res);
          process.stdout.write(`removed device ${text(fields(res).deviceId ?? arg)}: its tokens are revoked and its connections closed\n`);
          return;
        }
      }
    });
  });
}

function renderList(res: unknown, now = Date.now()): string {
  const { pending: p, paired: d } = fields(res);
  const pending = Array.isArray(p) ? p.map(fields) : [];
  const paired = Array.isArray(d) ? d.map(fields) : [];
  let out = '';
  if (pending.length === 0) {
    out += 'Pending requests: none\n';
  } else {
    out += `Pending requests (${pending.length}) — approve with: clawgate devices approve <REQUEST>\n`;
    out += table(['REQUEST', 'DEVICE', 'CLIENT', 'ROLE', 'SCOPES', 'AGE'], pending.map((r) => [
      text(r.requestId), short(r.deviceId), client(r), text(r.role ?? (Array.isArray(r.roles) ? r.roles.join(',') : undefined)),
      list(r.scopes), age(r.ts, now),
    ]));
  }
  out += '\n';
  if (paired.length === 0) {
    out += 'Paired devices: none\n';
  } else {
    out += `Paired devices (${paired.length})\n`;
    out += table(['DEVICE', 'CLIENT', 'ROLES', 'SCOPES', 'APPROVED', 'CONNECTED'], paired.map((d) => [
      text(d.deviceId), client(d), list(d.roles ?? (d.role ? [d.role] : undefined)), list(d.scopes), text(d.approvedVia), yesNo(d.connected),
    ]));
  }
  return out;
}
