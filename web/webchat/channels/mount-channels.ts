// WebChat's Channels panel (issue 15: "WhatsApp QR login and channel status"): one row per channel account from
// `channels.status` (channel · account, state, last error), refreshed after each hello-ok, on every `health`
// event and on "Refresh"; each WhatsApp account has "Link WhatsApp", which shows the QR code to scan.
import type { GatewaySession } from '../../../src/client/index.ts';
import type { PageConnection } from '../../shared/page-connection.ts';
import { channelRows } from './channel-rows.ts';
import { adminRefusedText, linkWhatsApp } from './whatsapp-login.ts';

function cell(text: string, tag: 'td' | 'th' = 'td'): HTMLTableCellElement {
  const el = document.createElement(tag);
  el.textContent = text;
  return el;
}

function button(label: string, name = label): HTMLButtonElement {
  const el = document.createElement('button');
  el.type = 'button';
  el.textContent = label;
  if (name !== label) el.setAttribute('aria-label', name);
  return el;
}

/** Builds the Channels panel inside `root`. */
export function mountChannels(root: HTMLElement, conn: PageConnection): void {
  const { client } = conn;
  let live: GatewaySession | undefined;
  let login: { accountId: string; cancelled: boolean } | undefined;

  const heading = document.createElement('h2');
  heading.textContent = 'Channels';
  const refresh = button('Refresh', 'Refresh channels');
  const note = document.createElement('p');
  note.className = 'channels-note';
  note.setAttribute('aria-live', 'polite');
  const table = document.createElement('table');
  table.setAttribute('aria-label', 'Channel accounts');
  table.hidden = true;
  const head = document.createElement('tr');
  head.append(cell('Channel', 'th'), cell('State', 'th'), cell('Last error', 'th'), cell('', 'th'));
  const body = document.createElement('tbody');
  table.append(document.createElement('thead'), body);
  table.tHead?.append(head);
  const loginBox = document.createElement('div');
  loginBox.className = 'whatsapp-login';
  loginBox.setAttribute('aria-live', 'polite');
  const loginText = document.createElement('p');
  const qr = document.createElement('img');
  qr.alt = 'WhatsApp QR code';
  qr.hidden = true;
  const cancel = button('Cancel', 'Cancel linking');
  cancel.hidden = true;
  loginBox.append(loginText, qr, cancel);
  root.append(heading, refresh, note, table, loginBox);

  cancel.addEventListener('click', () => {
    if (login) login.cancelled = true;
    login = undefined;
    cancel.hidden = true;
    qr.hidden = true;
    qr.removeAttribute('src');
    loginText.textContent = 'Linking cancelled.';
  });

  const startLogin = (accountId: string) => {
    if (!live || login) return;
    const mine = { accountId, cancelled: false };
    login = mine;
    cancel.hidden = false;
    const view = {
      say: (text: string) => void (!mine.cancelled && (loginText.textContent = text)),
      qr: (dataUrl: string | undefined) => {
        if (mine.cancelled) return;
        qr.hidden = dataUrl === undefined;
        if (dataUrl === undefined) qr.removeAttribute('src');
        else qr.src = dataUrl;
      },
    };
    // web.login.* needs operator.admin: a connection of its own asks for it, for the length of the login
    view.say('Connecting as an admin of this gateway…');
    void conn.adminSession().then(
      (admin) => linkWhatsApp(admin.session, accountId, view, () => mine.cancelled).finally(() => admin.close()),
      (err: unknown) => view.say(adminRefusedText(err)),
    ).then(() => {
      if (login === mine) login = undefined;
      if (!mine.cancelled) cancel.hidden = true;
      load();
    });
  };

  let loading = false;
  let again = false;
  /** Loads `channels.status` into the table (calls made meanwhile coalesce into one more). */
  function load(): void {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    void (async () => {
      do {
        again = false;
        const session = live;
        if (!session || session.closed) return;
        try {
          const rows = channelRows(await session.request('channels.status', {}));
          note.textContent = rows.length === 0 ? 'No channels configured.' : '';
          table.hidden = rows.length === 0;
          body.replaceChildren(...rows.map((row) => {
            const tr = document.createElement('tr');
            const action = document.createElement('td');
            if (row.channel === 'whatsapp') {
              const link = button('Link WhatsApp', row.accountId === 'default' ? 'Link WhatsApp' : `Link WhatsApp ${row.accountId}`);
              link.addEventListener('click', () => startLogin(row.accountId));
              action.append(link);
            }
            tr.append(cell(row.name, 'th'), cell(row.state), cell(row.lastError), action);
            return tr;
          }));
        } catch (err) {
          note.textContent = `Channel status unavailable: ${(err as Error).message}`;
        }
      } while (again);
    })().finally(() => void (loading = false));
  }

  refresh.addEventListener('click', load);
  client.onHelloOk((session) => {
    live = session;
    load();
  });
  client.onEvent('health', load);
}
