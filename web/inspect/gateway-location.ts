import { type PageConnection, type PageConnectionOptions, startPageConnection } from '../shared/page-connection.ts';

// The inspector's pages live below the gateway's base (`<base>__clawgate__/inspect`, `…/inspect/stately`), but
// they connect as WebChat does, to `<base>` itself, with WebChat's stored credentials and device identity
// (web-surfaces.md I4, S9: URLs from `location` only): the shared connection is given that `<base>`. (The
// directory of the bridge's own URL, `/__clawgate__/inspect/`, is the inspector's stream endpoint, and its
// storage keys would differ from WebChat's.)

/** `<base>` of the gateway for an inspector page's URL: the path before `__clawgate__/inspect`. */
export function gatewayBaseHref(href: string = location.href): string {
  const url = new URL(href);
  const at = url.pathname.lastIndexOf('__clawgate__/inspect');
  url.pathname = at >= 0 ? url.pathname.slice(0, at) : new URL('.', url).pathname;
  url.search = '';
  url.hash = '';
  return url.href;
}

/** The inspector stream's URL for a ticket: `<base>__clawgate__/inspect/ws?ticket=<t>`, ws: or wss:. */
export function streamUrl(baseHref: string, ticket: string): string {
  const url = new URL('__clawgate__/inspect/ws', baseHref);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = `ticket=${encodeURIComponent(ticket)}`;
  return url.href;
}

/** startPageConnection() on the gateway's `<base>`, not the page's directory. */
export function connectAtGatewayBase(options: Omit<PageConnectionOptions, 'base'>): { conn: PageConnection; baseHref: string } {
  const baseHref = gatewayBaseHref(location.href);
  return { conn: startPageConnection({ ...options, base: new URL(baseHref).pathname }), baseHref };
}
