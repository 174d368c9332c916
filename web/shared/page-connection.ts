// The connection every page shares (WebChat, the inspector): the gateway URL from `location` only (S9), the
// browser's credentials and device identity, the connect parameters, and the status line. Pages get a
// GatewayClient and build their own views on its sessions and events.
import { createGatewayClient, type GatewayClient, type GatewayStatus } from '../../src/client/index.ts';

/** What a page asks for when it connects (web-surfaces W5, I4). */
export interface PageConnectionOptions {
  /** `webchat` for WebChat, `ui` for the inspector. */
  clientMode: 'webchat' | 'ui';
  /** The operator scopes the page needs. */
  scopes: string[];
  /** Where the connection shows its state: the `role="status"` line, notices, and the login / pairing panel. */
  ui: { status: HTMLElement; notices: HTMLElement; login: HTMLElement };
}

/** A started page connection. */
export interface PageConnection {
  client: GatewayClient;
  /** `<base>`: the directory of the page's URL, e.g. `/` or `/claw/`. */
  base: string;
  /** A storage key (localStorage, sessionStorage, IndexedDB) private to this gateway: `clawgate:<origin><base>:<name>`. */
  storageKey(name: string): string;
}

/** `<base>` of the page as a ws:// or wss:// URL. */
export function gatewayUrl(href = location.href): string {
  const url = new URL('.', href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = '';
  url.hash = '';
  return url.href;
}

function describe(status: GatewayStatus): string {
  switch (status.state) {
    case 'ready': return 'Connected';
    case 'connecting': return 'Connecting';
    case 'reconnecting': return `Reconnecting in ${Math.ceil(status.delayMs / 1000)} s`;
    case 'paused': return `Not connected: ${status.error.message}`;
    default: return 'Offline';
  }
}

/** Creates the client for this page and starts it. */
export function startPageConnection(options: PageConnectionOptions): PageConnection {
  const base = new URL('.', location.href).pathname;
  const client = createGatewayClient({
    url: gatewayUrl(),
    client: { id: 'webchat-ui', mode: options.clientMode, platform: 'web', version: __CLAWGATE_VERSION__ },
    role: 'operator',
    scopes: options.scopes,
    caps: ['session-scoped-events'],
    locale: navigator.language,
    userAgent: navigator.userAgent,
    reconnect: true,
  });
  client.onStatus((status) => {
    options.ui.status.textContent = describe(status);
  });
  client.start();
  return { client, base, storageKey: (name) => `clawgate:${location.origin}${base}:${name}` };
}
