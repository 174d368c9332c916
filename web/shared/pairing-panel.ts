// "Waiting for approval" (web-surfaces W5, PAIRING_REQUIRED): a browser the gateway does not know yet (a LAN
// or proxied page, or any page with --no-auto-approve-local) waits for the owner to run the approve command.
// The page retries every 5 s for 10 min (the gateway reuses a pending requestId, so a retry adds no request),
// then stops and offers "Try again", so a forgotten tab does not knock forever.

/** How often and how long the page retries while it waits. */
export const PAIRING_RETRY_MS = 5_000;
/** After this long the page stops retrying and offers "Try again". */
export const PAIRING_GIVE_UP_MS = 10 * 60_000;

/** The mounted panel. */
export interface PairingPanel {
  /** Shows (or updates) the wait for `requestId` and schedules the next retry. */
  show(requestId: string): void;
  /** Hides the panel and cancels the retry (connected, or another outcome). */
  hide(): void;
}

/** Builds the panel (hidden) inside `container`; `retry` makes one more connection attempt. */
export function mountPairingPanel(container: HTMLElement, retry: () => void): PairingPanel {
  const panel = document.createElement('section');
  panel.setAttribute('aria-label', 'Pairing');
  panel.hidden = true;
  const heading = document.createElement('h2');
  heading.textContent = 'Waiting for approval';
  const request = document.createElement('p');
  const how = document.createElement('p');
  how.textContent = 'On the gateway host, approve this browser with:';
  const command = document.createElement('code');
  const again = document.createElement('button');
  again.type = 'button';
  again.textContent = 'Try again';
  again.hidden = true;
  panel.append(heading, request, how, command, again);
  container.append(panel);
  let since: number | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cancel = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  again.addEventListener('click', () => {
    since = undefined;
    again.hidden = true;
    retry();
  });
  return {
    show(requestId) {
      since ??= Date.now();
      request.textContent = `Request ${requestId}`;
      command.textContent = `clawgate devices approve ${requestId}`;
      panel.hidden = false;
      cancel();
      if (Date.now() - since >= PAIRING_GIVE_UP_MS) {
        again.hidden = false;
        return;
      }
      timer = setTimeout(() => {
        timer = undefined;
        retry();
      }, PAIRING_RETRY_MS);
    },
    hide() {
      cancel();
      since = undefined;
      again.hidden = true;
      panel.hidden = true;
    },
  };
}
