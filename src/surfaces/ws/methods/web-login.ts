import type { ChannelsControl, WebLoginResult } from '../../../core/channel.js';
import { accountParam, asRequest, channelLayer } from './channels.js';
import { invalidRequest, type Handler, type WsServices } from './types.js';

// web.login.start / web.login.wait (channels.md §5.1, WA3): linking a WhatsApp account by QR code or pairing code.
// Both go to the channel layer's loginStart / loginWait; a gateway without WhatsApp refuses them.

/** The channel layer's web login, or the §5.1 refusal. */
function webLogin(ctx: WsServices): Required<Pick<ChannelsControl, 'loginStart' | 'loginWait'>> {
  const layer = channelLayer(ctx, 'whatsapp');
  if (!layer.loginStart || !layer.loginWait) throw invalidRequest('web login is only available for whatsapp');
  return { loginStart: layer.loginStart.bind(layer), loginWait: layer.loginWait.bind(layer) };
}

/** The wire shape: only the fields that are set. */
function wire(r: WebLoginResult): WebLoginResult {
  return {
    connected: r.connected, message: r.message,
    ...(r.qrDataUrl !== undefined ? { qrDataUrl: r.qrDataUrl } : {}),
    ...(r.qr !== undefined ? { qr: r.qr } : {}),
    ...(r.pairingCode !== undefined ? { pairingCode: r.pairingCode } : {}),
  };
}

/** `web.login.start`: a QR (or pairing code) once one exists, `connected` when already linked; `force` relinks. */
export const webLoginStart: Handler<'web.login.start'> = async (params, _call, ctx) => {
  const login = webLogin(ctx);
  return wire(await asRequest(() => login.loginStart({
    accountId: accountParam(params.accountId), force: params.force, timeoutMs: params.timeoutMs, phoneNumber: params.phoneNumber,
  })));
};

/** `web.login.wait`: returns when linked, when the QR rotated away from `currentQrDataUrl`, or at the timeout. */
export const webLoginWait: Handler<'web.login.wait'> = async (params, _call, ctx) => {
  const login = webLogin(ctx);
  return wire(await asRequest(() => login.loginWait({
    accountId: accountParam(params.accountId), timeoutMs: params.timeoutMs, currentQrDataUrl: params.currentQrDataUrl,
  })));
};
