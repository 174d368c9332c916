// The headers of every WebChat and inspector page and asset (web-surfaces.md §2.3): a strict CSP (no page has
// inline script or style), no sniffing, no referrer, no framing, its own browsing context group, revalidation.

/** The Content-Security-Policy of the gateway's own pages. */
export const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
  + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The §2.3 headers of a page or asset answer (Content-Type and ETag are added per file). */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': PAGE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cache-Control': 'no-cache',
};
