// WebChat (web-surfaces §3), the first cut: connect with the one client (`src/client`) and show the connection
// state and the gateway's version. Every text is written with textContent (S11); the WS URL comes from
// `location` only (S9): the page's directory with http→ws.
import { createGatewayClient, type GatewayStatus } from '../../src/client/index.ts';

const statusLine = document.getElementById('status');
const serverLine = document.getElementById('server');

/** `<base>` of the page as a ws:// or wss:// URL. */
function gatewayUrl(): string {
  const url = new URL('.', location.href);
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

const client = createGatewayClient({
  url: gatewayUrl(),
  client: { id: 'webchat-ui', mode: 'webchat', platform: 'web', version: __CLAWGATE_VERSION__ },
  role: 'operator',
  scopes: ['operator.read', 'operator.write'],
  caps: ['session-scoped-events'],
  locale: navigator.language,
  userAgent: navigator.userAgent,
  reconnect: true,
});
client.onStatus((status) => {
  if (statusLine) statusLine.textContent = describe(status);
});
client.onHelloOk((session) => {
  if (serverLine) serverLine.textContent = `Clawgate ${session.hello.server.version}`;
});
client.start();
