import { WEB_LOGIN_FAILED_PREFIX, WEB_LOGIN_NONE_MESSAGE } from '../core/channel.js';
import { fields } from './format.js';

// `clawgate channels login whatsapp [--pairing-code +E164] [--account ID]` (channels.md §5.4, WA3): web.login.start,
// then web.login.wait in a loop. The QR is drawn in the terminal and redrawn each time it rotates (or the pairing
// code is printed once); `linked` and exit 0, or exit 1 when the login fails or at 180 s.

/** How long the CLI waits for the link in all. */
export const CLI_LOGIN_DEADLINE_MS = 180_000;
/** One web.login.wait asks for at most this. */
const WAIT_SLICE_MS = 30_000;
/** Room for the answer on top of the wait the gateway was asked for. */
const ANSWER_MARGIN_MS = 10_000;

/** The part of the gateway connection the login uses. */
export interface LoginGateway {
  request(method: string, params: unknown, timeoutMs?: number): Promise<unknown>;
}

/** What the login loop needs besides the gateway (tests inject the clock and the output). */
export interface LoginIo {
  /** Writes to stdout. */
  out(text: string): void;
  now(): number;
  /** Renders QR text for the terminal. */
  renderQr?(qr: string): Promise<string>;
}

/** The login ended without a link (exit 1). */
export class LoginFailed extends Error {}

/** Draws with `qrcode` (loaded only for a login). */
async function terminalQr(qr: string): Promise<string> {
  const QRCode = (await import('qrcode')).default;
  return QRCode.toString(qr, { type: 'terminal', small: true });
}

/** Runs the login loop; resolves once linked, throws LoginFailed when it cannot be. */
export async function loginWhatsApp(gw: LoginGateway, opts: { accountId?: string; phoneNumber?: string }, io: LoginIo): Promise<void> {
  const deadline = io.now() + CLI_LOGIN_DEADLINE_MS;
  const account = opts.accountId !== undefined ? { accountId: opts.accountId } : {};
  const remaining = () => deadline - io.now();
  const startWait = Math.min(WAIT_SLICE_MS, CLI_LOGIN_DEADLINE_MS);
  const start = fields(await gw.request('web.login.start', {
    ...account, timeoutMs: startWait, ...(opts.phoneNumber !== undefined ? { phoneNumber: opts.phoneNumber } : {}),
  }, startWait + ANSWER_MARGIN_MS));
  let shownQr: string | undefined;
  let shownCode: string | undefined;
  /** Shows what an answer carries that is new; true when it is final. */
  const show = async (r: Record<string, unknown>): Promise<boolean> => {
    if (r.connected === true) {
      io.out('linked\n');
      return true;
    }
    const message = typeof r.message === 'string' ? r.message : '';
    if (message.startsWith(WEB_LOGIN_FAILED_PREFIX) || message === WEB_LOGIN_NONE_MESSAGE) throw new LoginFailed(message);
    if (typeof r.pairingCode === 'string' && r.pairingCode !== shownCode) {
      shownCode = r.pairingCode;
      io.out(`Pairing code: ${shownCode}\nOn the phone: WhatsApp → Linked devices → Link a device → Link with phone number instead, then enter the code.\n`);
    }
    if (typeof r.qrDataUrl === 'string' && r.qrDataUrl !== shownQr) {
      const redraw = shownQr !== undefined;
      shownQr = r.qrDataUrl;
      if (opts.phoneNumber === undefined && typeof r.qr === 'string') {
        const drawn = await (io.renderQr ?? terminalQr)(r.qr);
        io.out(`${redraw ? '\nThe QR code changed; scan this one:\n' : 'Scan this QR code with WhatsApp → Linked devices → Link a device:\n'}${drawn}`);
      }
    }
    return false;
  };
  if (await show(start)) return;
  for (;;) {
    const left = remaining();
    if (left <= 0) throw new LoginFailed(`not linked within ${CLI_LOGIN_DEADLINE_MS / 1000} s`);
    const slice = Math.min(WAIT_SLICE_MS, left);
    const r = fields(await gw.request('web.login.wait', {
      ...account, timeoutMs: slice, ...(shownQr !== undefined ? { currentQrDataUrl: shownQr } : {}),
    }, slice + ANSWER_MARGIN_MS));
    if (await show(r)) return;
  }
}
