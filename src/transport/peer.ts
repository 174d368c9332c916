import type { HttpRequest, HttpResponse } from 'uWebSockets.js';

// Who is behind a socket: its address and the forwarding headers it sent. The transport reads them; what
// they mean (loopback, trusted proxies) is the owner's classifier, passed in (src/policy/locality.ts).

/** The forwarding headers of a request (values '' when absent). */
export interface ForwardingHeaders {
  forwarded: string;
  xForwardedFor: string;
  xRealIp: string;
  /** Any `Forwarded`, `X-Forwarded-*` or `X-Real-IP` header present, even with an empty value. */
  anyForwarded: boolean;
}

/** The client as the classifier sees it: the address to key limits on, and direct-loopback locality. */
export interface ClassifiedPeer {
  local: boolean;
  clientAddress: string;
  /** Forwarding headers came from a trusted proxy and were used. */
  proxied?: boolean;
}

/** Classifies a peer from its socket address and forwarding headers. */
export type PeerClassifier = (remoteAddress: string, forwarded: ForwardingHeaders) => ClassifiedPeer;

/** The socket address and forwarding headers of a request; only valid while the uWS handler runs. */
export function readPeer(res: HttpResponse, req: HttpRequest): { remoteAddress: string; forwarded: ForwardingHeaders } {
  const forwarded: ForwardingHeaders = {
    forwarded: req.getHeader('forwarded'), xForwardedFor: req.getHeader('x-forwarded-for'), xRealIp: req.getHeader('x-real-ip'),
    anyForwarded: false,
  };
  req.forEach((name) => {
    if (name === 'forwarded' || name === 'x-real-ip' || name.startsWith('x-forwarded-')) forwarded.anyForwarded = true;
  });
  return { remoteAddress: Buffer.from(res.getRemoteAddressAsText()).toString(), forwarded };
}
