import { ChannelRequestError, type ChannelName, type ChannelsControl } from '../../../core/channel.js';
import { channelsStatusResult, isChannelName } from '../channels/status-view.js';
import { invalidRequest, type Handler, type WsServices } from './types.js';

// channels.status, channels.start, channels.stop, channels.logout (channels.md §5.1, §5.2). The channel layer
// is reached only through `ChannelsControl`; a gateway without one still answers every method.

/** A channel name from a client, checked: `unknown channel: <name>` otherwise. */
export function knownChannel(name: string): ChannelName {
  if (!isChannelName(name)) throw invalidRequest(`unknown channel: ${name}`);
  return name;
}

/** The channel layer, or the refusal a gateway without one gives for `channel`. */
export function channelLayer(ctx: WsServices, channel: string): ChannelsControl {
  const ch = knownChannel(channel);
  if (!ctx.channels) throw invalidRequest(`channel ${ch} is not configured`);
  return ctx.channels;
}

/** Runs a channel-layer call; a `ChannelRequestError` becomes INVALID_REQUEST with its message. */
export async function asRequest<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ChannelRequestError) throw invalidRequest(err.message);
    throw err;
  }
}

/** An optional account id as the channel layer takes it: absent or empty = the channel's default account. */
export const accountParam = (accountId: string | undefined): string | undefined => (accountId === '' ? undefined : accountId);

/** `channels.status`: one snapshot per configured account; every channel listed, unconfigured ones empty. */
export const channelsStatus: Handler<'channels.status'> = async (params, _call, ctx) => {
  const channel = params.channel === undefined ? undefined : knownChannel(params.channel);
  const snapshots = ctx.channels
    ? await asRequest(() => ctx.channels!.status({ channel, probe: params.probe, timeoutMs: params.timeoutMs }))
    : {};
  return channelsStatusResult(snapshots, { channel, ts: Date.now() });
};

/** `channels.start`: START to an account (the way out of `failed` without a restart). */
export const channelsStart: Handler<'channels.start'> = async (params, _call, ctx) => {
  const layer = channelLayer(ctx, params.channel);
  const r = await asRequest(() => layer.start(params.channel, accountParam(params.accountId)));
  return { channel: r.channel, accountId: r.accountId, started: true };
};

/** `channels.stop`: STOP to an account. */
export const channelsStop: Handler<'channels.stop'> = async (params, _call, ctx) => {
  const layer = channelLayer(ctx, params.channel);
  const r = await asRequest(() => layer.stop(params.channel, accountParam(params.accountId)));
  return { channel: r.channel, accountId: r.accountId, stopped: true };
};

/** `channels.logout`: WhatsApp only (the channel layer refuses the others). */
export const channelsLogout: Handler<'channels.logout'> = async (params, _call, ctx) => {
  const layer = channelLayer(ctx, params.channel);
  const r = await asRequest(() => layer.logout(params.channel, accountParam(params.accountId)));
  return { channel: r.channel, accountId: r.accountId, cleared: r.cleared };
};
