// The page's own URL, cleaned before anything connects (web-surfaces W2, S8, S9): a `token=` in the query or
// fragment is never read and is removed from the address bar (a URL leaks through history, logs and
// screenshots), and WebChat's directory URL gets its trailing slash, or its relative URLs and the socket would
// resolve one level too high (OpenClaw #47432 ended in close 1006). Pure: no DOM, so node tests run it.

/** What cleaning a page URL did. */
export interface CleanedPageUrl {
  /** The URL to show in the address bar. */
  href: string;
  /** A `token=` was found (and dropped) in the query or fragment. */
  tokenRemoved: boolean;
  /** `href` differs from the input: the page calls history.replaceState. */
  changed: boolean;
}

const TOKEN_PARAM = /(^|[?#&;])[^=&#]*token=/i;

/**
 * Cleans `href`: a query or fragment containing `token=` is dropped whole; with `directoryPage` (WebChat, whose
 * page is its directory's index) a path without its trailing slash gets one.
 */
export function cleanPageUrl(href: string, directoryPage: boolean): CleanedPageUrl {
  const url = new URL(href);
  let tokenRemoved = false;
  if (TOKEN_PARAM.test(url.search)) {
    url.search = '';
    tokenRemoved = true;
  }
  if (TOKEN_PARAM.test(url.hash)) {
    url.hash = '';
    tokenRemoved = true;
  }
  if (directoryPage && !url.pathname.endsWith('/')) url.pathname += '/';
  // `new URL` keeps a bare `?` or `#` as empty: drop them too
  const clean = url.href.replace(/\?(?=#|$)/, '').replace(/#$/, '');
  return { href: clean, tokenRemoved, changed: clean !== href };
}

/** `<base>`: the path of the directory of `href` (`/`, `/claw/`). */
export function basePath(href: string): string {
  return new URL('.', href).pathname;
}

/** The control-plane WebSocket URL of `<base>` on `origin`: http → ws, https → wss (S9). */
export function socketUrl(origin: string, base: string): string {
  const url = new URL(base, origin);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}
