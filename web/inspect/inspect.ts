// The actor inspector page (web-surfaces.md I4, I5), at `<base>__clawgate__/inspect`: it connects as WebChat
// does (client `webchat-ui`, mode `ui`, scope operator.admin), asks for a ticket for every connection, follows
// the stream and shows the live actors. Text only through textContent (S11); URLs from `location` (S9).
import { byId } from './dom.ts';
import { connectAtGatewayBase } from './gateway-location.ts';
import { mountInspector } from './mount-inspector.ts';
import { followInspectStream } from './stream.ts';

byId('load-failed').hidden = true;
const { conn, baseHref } = connectAtGatewayBase({
  clientMode: 'ui',
  scopes: ['operator.admin'],
  ui: { status: byId('status'), notices: byId('notices'), login: byId('login') },
});
const inspector = mountInspector(byId('inspector'));
followInspectStream(conn.client, baseHref, { onText: inspector.receive, onState: inspector.setStreamState });

// "Open in Stately" only when the bridge page exists (--inspect-stately-url): the gateway fills in this meta element
if (document.querySelector<HTMLMetaElement>('meta[name="clawgate-stately"]')?.content === 'on') {
  inspector.showStately(new URL('__clawgate__/inspect/stately', baseHref).href);
}
