// Linking a WhatsApp account from the page (channels.md §5.1, WA3): `web.login.start`, then `web.login.wait` in
// 30 s slices until linked, failed, cancelled or 3 minutes passed (as `clawgate channels login whatsapp`). Each
// new QR is shown as an image from its `data:image/png;base64,` URL, which the CSP's `img-src data:` admits.
import { type GatewaySession, GatewayRequestError } from '../../../src/client/index.ts';
import { WEB_LOGIN_FAILED_PREFIX, WEB_LOGIN_NONE_MESSAGE } from '../../../src/core/channel.ts';

/** What the login shows while it runs. */
export interface LoginView {
  /** A line of text: what to do, or what happened. */
  say(text: string): void;
  /** The current QR as a data URL, or `undefined` to hide it. */
  qr(dataUrl: string | undefined): void;
}

/** How the loop ended. */
export type LoginOutcome = 'linked' | 'failed' | 'cancelled';

/** The slices of `web.login.wait` and the whole login, as the CLI's. */
const WAIT_SLICE_MS = 30_000;
const MAX_WAITS = 6;
/** How much longer than its own timeout a wait may take to answer. */
const ANSWER_MARGIN_MS = 10_000;
const QR_DATA_URL = /^data:image\/png;base64,[A-Za-z0-9+/]+=*$/;

interface LoginAnswer {
  connected: boolean;
  message: string;
  qrDataUrl?: string;
}

function answerOf(payload: unknown): LoginAnswer {
  const p = (payload ?? {}) as Record<string, unknown>;
  return {
    connected: p.connected === true,
    message: typeof p.message === 'string' ? p.message : '',
    ...(typeof p.qrDataUrl === 'string' && QR_DATA_URL.test(p.qrDataUrl) ? { qrDataUrl: p.qrDataUrl } : {}),
  };
}

/** The text for a refused login request. */
export function loginErrorText(err: unknown): string {
  const details = err instanceof GatewayRequestError ? (err.details as { missingScope?: unknown } | undefined) : undefined;
  if (details?.missingScope === 'operator.admin') return `${ADMIN_NEEDED} On the gateway host you can also run: clawgate channels login whatsapp`;
  return `Could not link WhatsApp: ${(err as Error).message}`;
}

const ADMIN_NEEDED = 'Linking WhatsApp needs the operator.admin scope.';

/** The text when the admin connection for the login is refused (no secret stored, pairing, a wrong token…). */
export function adminRefusedText(err: unknown): string {
  return `${ADMIN_NEEDED} The gateway refused it to this browser (${(err as Error).message}). Log in with the gateway token, or on the gateway host run: clawgate channels login whatsapp`;
}

/** Runs one login for `accountId`; `cancelled()` is asked between requests. */
export async function linkWhatsApp(session: GatewaySession, accountId: string, view: LoginView, cancelled: () => boolean): Promise<LoginOutcome> {
  let shown: string | undefined;
  /** Shows an answer; true when it ends the login. */
  const show = (a: LoginAnswer): LoginOutcome | undefined => {
    if (a.connected) {
      view.qr(undefined);
      view.say('WhatsApp linked.');
      return 'linked';
    }
    if (a.message.startsWith(WEB_LOGIN_FAILED_PREFIX) || a.message === WEB_LOGIN_NONE_MESSAGE) {
      view.qr(undefined);
      view.say(a.message);
      return 'failed';
    }
    if (a.qrDataUrl !== undefined && a.qrDataUrl !== shown) {
      shown = a.qrDataUrl;
      view.qr(shown);
      view.say('Scan this QR code with WhatsApp → Linked devices → Link a device.');
    } else if (shown === undefined && a.message !== '') {
      view.say(a.message);
    }
    return undefined;
  };
  try {
    view.say('Asking the gateway for a QR code…');
    const start = await session.request('web.login.start', { accountId, timeoutMs: WAIT_SLICE_MS }, { timeoutMs: WAIT_SLICE_MS + ANSWER_MARGIN_MS });
    let outcome = show(answerOf(start));
    for (let i = 0; outcome === undefined && i < MAX_WAITS; i++) {
      if (cancelled()) return 'cancelled';
      const next = await session.request('web.login.wait', {
        accountId, timeoutMs: WAIT_SLICE_MS, ...(shown !== undefined ? { currentQrDataUrl: shown } : {}),
      }, { timeoutMs: WAIT_SLICE_MS + ANSWER_MARGIN_MS });
      if (cancelled()) return 'cancelled';
      outcome = show(answerOf(next));
    }
    if (outcome !== undefined) return outcome;
    view.qr(undefined);
    view.say('Not linked within 3 minutes. Try again.');
    return 'failed';
  } catch (err) {
    view.qr(undefined);
    view.say(loginErrorText(err));
    return 'failed';
  }
}
