// WebChat (web-surfaces §3): the shared page connection (web/shared/) and the chat view (chat/). Every text is
// written with textContent (S11); the gateway URL comes from `location` only (S9).
import { startPageConnection } from '../shared/page-connection.ts';
import { mountChannels } from './channels/mount-channels.ts';
import { mountChat } from './chat/mount-chat.ts';

function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el;
}

byId('load-failed').hidden = true;
const conn = startPageConnection({
  clientMode: 'webchat',
  scopes: ['operator.read', 'operator.write'],
  directoryPage: true,
  ui: { status: byId('status'), notices: byId('notices'), login: byId('login') },
});
mountChat(byId('chat'), conn);
mountChannels(byId('channels'), conn);
