import { type PageConnection, type PageConnectionOptions, startPageConnection } from '../shared/page-connection.ts';

// The inspector's pages live below the gateway's base (`<base>__clawgate__/inspect`, `…/inspect/stately`), but
// they connect as WebChat does, to `<base>` itself, with WebChat's stored credentials and device identity
// (web-surfaces.md I4, S9: URLs from `location` only). The shared connection takes `<base>` from the page's
// own location, so the page presents `<base>` as its location while the connection starts, then puts its
// own URL back, and also passes `base` (which the shared connection takes as `<base>` where it knows the
// option). Without either, `/__clawgate__/inspect/` would be routed to the inspector's stream endpoint, not the
// control plane, and the storage keys would differ from WebChat's.

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

/** startPageConnection() as if the page were at `<base>`. */
export function connectAtGatewayBase(options: PageConnectionOptions): { conn: PageConnection; baseHref: string } {
  const here = location.href;
  const baseHref = gatewayBaseHref(here);
  const withBase: PageConnectionOptions & { base?: string } = { ...options, base: new URL(baseHref).pathname };
  history.replaceState(history.state, '', baseHref);
  try {
    return { conn: startPageConnection(withBase), baseHref };
  } finally {
    history.replaceState(history.state, '', here);
  }
}
