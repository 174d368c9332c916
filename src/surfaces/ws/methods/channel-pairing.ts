import { pairingListResult } from '../channels/pairing-view.js';
import { asRequest, channelLayer, knownChannel } from './channels.js';
import { invalidRequest, type Handler, type ParamsOf, type WsServices } from './types.js';

// channels.pairing.list / approve / reject (alias dismiss): the owner's side of channel DM pairing
// (channels.md C3, §5.1, §5.3). The code is the request id; either name is accepted.

/** The request named by `code` or `requestId` (they are the same thing). */
function requestCode(method: string, p: { code?: string; requestId?: string }): string {
  const code = p.code ?? p.requestId;
  if (code === undefined) throw invalidRequest(`invalid ${method} params: must have required property 'code' or 'requestId'`);
  if (p.code !== undefined && p.requestId !== undefined && p.code.toUpperCase() !== p.requestId.toUpperCase()) {
    throw invalidRequest(`invalid ${method} params: code and requestId name different requests`);
  }
  return code;
}

/** `channels.pairing.list`: pending requests (expired and rejected ones are not listed). */
export const channelsPairingList: Handler<'channels.pairing.list'> = async (params, _call, ctx) => {
  const channel = params.channel === undefined ? undefined : knownChannel(params.channel);
  if (!ctx.channels) return pairingListResult({ accounts: [], requests: [] });
  const layer = ctx.channels;
  return pairingListResult(await asRequest(() => layer.pairingList({ channel, accountId: params.accountId })));
};

/** `channels.pairing.approve`: the sender may DM the account; the first approval makes the owner.
 *  `bootstrapCommandOwner` is accepted and ignored. */
export const channelsPairingApprove: Handler<'channels.pairing.approve'> = async (params, call, ctx) => {
  const code = requestCode(call.method, params);
  const layer = channelLayer(ctx, params.channel);
  const r = await asRequest(() => layer.pairingApprove({ channel: params.channel, code, accountId: params.accountId, notify: params.notify }));
  return { requestId: r.requestId, senderId: r.senderId, notification: r.notification, commandOwnerBootstrap: r.commandOwnerBootstrap };
};

/** `channels.pairing.reject` and its alias `channels.pairing.dismiss`: the sender is blocked for 24 h. */
async function reject(method: string, params: ParamsOf<'channels.pairing.reject'>, ctx: WsServices) {
  const code = requestCode(method, params);
  const layer = channelLayer(ctx, params.channel);
  const r = await asRequest(() => layer.pairingReject({ channel: params.channel, code, accountId: params.accountId }));
  return { requestId: r.requestId, senderId: r.senderId };
}

/** `channels.pairing.reject`. */
export const channelsPairingReject: Handler<'channels.pairing.reject'> = (params, call, ctx) => reject(call.method, params, ctx);
/** `channels.pairing.dismiss` (OpenClaw's name). */
export const channelsPairingDismiss: Handler<'channels.pairing.dismiss'> = (params, call, ctx) => reject(call.method, params, ctx);
