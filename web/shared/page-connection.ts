// The connection every page shares (WebChat, the inspector): the gateway URL from `location` only (S9), the URL
// cleaned of tokens (W2), the browser's credentials (W3) and device identity (W4), and what each outcome of the
// handshake shows (W5) and the status line (W7). Reconnecting is the client's job (src/client/); this file only
// reacts to its statuses and pauses. Pages get the GatewayClient and build their own views on it.
import {
  createGatewayClient, type GatewayClient, type GatewayClientOptions, type GatewaySession, type GatewayStatus, memoryTokenStore,
} from '../../src/client/index.ts';
import { forgetBrowserIdentity, INSECURE_NOTICE, loadBrowserIdentity } from './browser-identity.ts';
import { connectOutcome, rateLimitedText, refusedOriginText, UNREACHABLE_TEXT } from './connect-outcome.ts';
import { credentialStore, storagePrefix } from './credential-store.ts';
import { mountLoginForm } from './login-form.ts';
import { noticeBoard } from './notice-board.ts';
import { mountPairingPanel } from './pairing-panel.ts';
import { basePath, cleanPageUrl, socketUrl } from './url-hygiene.ts';

/** What a page asks for when it connects (web-surfaces W5, I4). */
export interface PageConnectionOptions {
  /** `webchat` for WebChat, `ui` for the inspector. */
  clientMode: 'webchat' | 'ui';
  /** The operator scopes the page needs. */
  scopes: string[];
  /** Where the connection shows its state: the `role="status"` line, notices, and the login / pairing panel. */
  ui: { status: HTMLElement; notices: HTMLElement; login: HTMLElement };
  /**
   * `<base>` when the page is not its gateway's directory index (the inspector at `/__clawgate__/inspect`:
   * `new URL('..', location.href).pathname`); default the directory of the page's URL. It names the socket and
   * the storage keys, so pages of one gateway share one identity and one secret.
   */
  base?: string;
  /** The page is its directory's index (WebChat): `/claw` becomes `/claw/` before the socket opens (W2). */
  directoryPage?: boolean;
}

/** A started page connection. */
export interface PageConnection {
  client: GatewayClient;
  /** `<base>`: the directory of the page's URL, e.g. `/` or `/claw/`. */
  base: string;
  /** A storage key (localStorage, sessionStorage, IndexedDB) private to this gateway: `clawgate:<origin><base>:<name>`. */
  storageKey(name: string): string;
  /** Deletes this browser's secret, device tokens and identity for this `<base>` ("Forget this browser"). */
  forget(): Promise<void>;
  /**
   * A second, short-lived connection of the same device asking for `operator.admin` (WebChat's own holds read
   * and write only), for the rare admin action a page offers (linking WhatsApp). It sends the stored secret,
   * or on a gateway without one only the device identity; `close()` ends it. Rejects with the ConnectError.
   */
  adminSession(): Promise<{ session: GatewaySession; close(): void }>;
}

/** The notice after a `token=` was removed from the address (W2). */
export const URL_TOKEN_NOTICE = 'A token in the address was ignored and removed: tokens are never taken from URLs. Enter it in the form.';

/** `<base>` of the page as a ws:// or wss:// URL. */
export function gatewayUrl(href = location.href): string {
  return socketUrl(new URL(href).origin, basePath(href));
}

function describe(status: GatewayStatus): string {
  switch (status.state) {
    case 'ready': return 'Connected';
    case 'connecting': return 'Connecting';
    case 'reconnecting': return `Reconnecting in ${Math.ceil(status.delayMs / 1000)} s`;
    default: return 'Offline';
  }
}

/** The `clawgate-auth` meta of the page (W1); an unknown or missing value lets the gateway say what it wants. */
function authMode(): 'none' | 'token' | 'password' | 'unknown' {
  const mode = document.querySelector('meta[name="clawgate-auth"]')?.getAttribute('content');
  return mode === 'none' || mode === 'token' || mode === 'password' ? mode : 'unknown';
}

/** Creates the client for this page and starts it (at once, or after the form when a secret is needed). */
export function startPageConnection(options: PageConnectionOptions): PageConnection {
  const cleaned = cleanPageUrl(location.href, options.directoryPage ?? false);
  if (cleaned.changed) history.replaceState(history.state, '', cleaned.href);
  const base = options.base ?? basePath(cleaned.href);
  const prefix = storagePrefix(location.origin, base);
  const store = credentialStore(prefix);
  const mode = authMode();
  const role = 'operator';
  const { ui } = options;
  if (!ui.notices.hasAttribute('aria-live')) ui.notices.setAttribute('aria-live', 'polite');
  const notices = noticeBoard(ui.notices);
  if (cleaned.tokenRemoved) notices.set('url-token', URL_TOKEN_NOTICE);
  // a fragment typed into the address bar of the open page does not reload it
  addEventListener('hashchange', () => {
    const again = cleanPageUrl(location.href, false);
    if (!again.tokenRemoved) return;
    history.replaceState(history.state, '', again.href);
    notices.set('url-token', URL_TOKEN_NOTICE);
  });

  // W3: a stored device token first, then the stored secret; read at every attempt
  const secretToSend = () => {
    const identity = inputs.identity;
    return identity && store.hasDeviceToken(identity.deviceId, role) ? undefined : store.secret();
  };
  const inputs: GatewayClientOptions = {
    url: socketUrl(location.origin, base),
    client: { id: 'webchat-ui', mode: options.clientMode, platform: 'web', version: __CLAWGATE_VERSION__ },
    role,
    scopes: options.scopes,
    caps: ['session-scoped-events'],
    locale: navigator.language,
    userAgent: navigator.userAgent,
    reconnect: true,
    tokenStore: store.tokenStore,
    get token() { return mode === 'password' ? undefined : secretToSend(); },
    get password() { return mode === 'password' ? secretToSend() : undefined; },
  };
  const client = createGatewayClient(inputs);

  const showLogin = (show: boolean) => {
    ui.login.hidden = !show;
  };
  const form = mountLoginForm(ui.login, mode === 'password' ? 'Gateway password' : 'Gateway token', (secret, remember) => {
    store.saveSecret(secret, remember);
    form.hide();
    notices.set('problem', undefined);
    client.start();
  });
  const pairing = mountPairingPanel(ui.login, () => client.start());
  const forget = async () => {
    store.forget();
    await forgetBrowserIdentity(prefix);
  };
  const forgetButton = document.createElement('button');
  forgetButton.type = 'button';
  forgetButton.textContent = 'Forget this browser';
  forgetButton.addEventListener('click', () => {
    client.stop();
    void forget().then(() => location.reload());
  });
  ui.status.after(forgetButton);

  const onProblem = async (error: Error, paused: boolean, delayMs = 0) => {
    const outcome = connectOutcome(error);
    switch (outcome.kind) {
      case 'form':
        if (outcome.wrongSecret) store.dropSecret();
        pairing.hide();
        form.show(outcome.message);
        showLogin(true);
        return notices.set('problem', undefined);
      case 'pairing':
        form.hide();
        pairing.show(outcome.requestId);
        showLogin(true);
        return notices.set('problem', undefined);
      case 'rate-limited':
        return notices.set('problem', rateLimitedText(new Date(Date.now() + (outcome.retryAfterMs ?? delayMs))));
      case 'version':
      case 'stop':
        return notices.set('problem', outcome.text);
      case 'device-token-dropped': {
        const identity = inputs.identity;
        if (identity) await store.tokenStore.delete(identity.deviceId, role);
        return notices.set('problem', undefined);
      }
      case 'not-opened': {
        const answered = await fetch(`${base}health`, { cache: 'no-store' }).then(() => true, () => false);
        return notices.set('problem', answered ? refusedOriginText(location.origin) : UNREACHABLE_TEXT);
      }
      default:
        // while reconnecting the status line says when; paused, the line is all there is
        return notices.set('problem', paused ? `${outcome.text} (not retrying: reload the page)` : outcome.text);
    }
  };

  client.onStatus((status) => {
    ui.status.textContent = describe(status);
    if (status.state === 'ready') {
      form.hide();
      pairing.hide();
      showLogin(false);
      notices.set('problem', undefined);
    } else if (status.state === 'reconnecting') {
      void onProblem(status.error, false, status.delayMs);
    }
  });
  client.onReconnectPaused((error) => void onProblem(error, true));

  void loadBrowserIdentity(prefix).then(
    (loaded) => {
      inputs.identity = loaded.identity;
      if (loaded.kind === 'noble') notices.set('insecure', INSECURE_NOTICE);
    },
    (err: Error) => notices.set('identity', `No device identity in this browser: ${err.message}`),
  ).then(() => {
    const identity = inputs.identity;
    const stored = (identity && store.hasDeviceToken(identity.deviceId, role)) || store.secret() !== undefined;
    if (mode === 'token' || mode === 'password') {
      if (!stored) {
        ui.status.textContent = 'Offline';
        form.show();
        showLogin(true);
        return;
      }
    }
    client.start();
  });
  const adminSession = async () => {
    const secret = store.secret();
    const admin = createGatewayClient({
      url: inputs.url, client: inputs.client, role, scopes: ['operator.admin'], locale: navigator.language,
      userAgent: navigator.userAgent, ...(inputs.identity ? { identity: inputs.identity } : {}),
      // not the page's stored device token: it was issued for read and write, and asking wider with it is refused
      tokenStore: memoryTokenStore(),
      ...(secret === undefined ? {} : mode === 'password' ? { password: secret } : { token: secret }),
    });
    admin.start();
    try {
      return { session: await admin.ready(), close: () => admin.stop() };
    } catch (err) {
      admin.stop();
      throw err;
    }
  };
  return { client, base, storageKey: (name) => `${prefix}${name}`, forget, adminSession };
}
