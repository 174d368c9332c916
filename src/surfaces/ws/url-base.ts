import type { UpgradeRequest } from '../../transport/ws-endpoint.js';

// The `<scheme>://<host><prefix>` of URLs a client is told in hello-ok (web-surfaces.md C5): from the upgrade
// request as the client made it — the TLS scheme and `Host`, or, behind a trusted proxy, its
// `X-Forwarded-Proto`, `-Host` and `-Prefix`. Never the bind address (openclaw #34657, #16250). Values that
// are not a plain scheme, host or path are ignored rather than written into a URL.

const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;
const PREFIX = /^(\/[A-Za-z0-9._~-]+)*$/;

const first = (value: string) => value.split(',')[0].trim();

/** The URL base for this upgrade, or undefined when its Host is unusable. */
export function urlBaseOf(req: Pick<UpgradeRequest, 'header'>, scheme: 'http' | 'https', proxied: boolean): string | undefined {
  let proto: string = scheme;
  let host = req.header('host');
  let prefix = '';
  if (proxied) {
    const fProto = first(req.header('x-forwarded-proto')).toLowerCase();
    if (fProto === 'http' || fProto === 'https') proto = fProto;
    const fHost = first(req.header('x-forwarded-host'));
    if (fHost) host = fHost;
    const fPrefix = first(req.header('x-forwarded-prefix')).replace(/\/+$/, '');
    if (PREFIX.test(fPrefix)) prefix = fPrefix;
  }
  return HOST.test(host) ? `${proto}://${host}${prefix}` : undefined;
}
