// The Stately bridge page (web-surfaces.md I6), at `<base>__clawgate__/inspect/stately` with
// --inspect-stately-url: Stately's inspector in an iframe, fed the stream's `@xstate.*` frames by postMessage
// to the configured origin only, once its window has posted `@statelyai.connected`. The page gets its own
// ticket, as the inspector page does. Text only (S11).
import { byId, h } from './dom.ts';
import { field, parseFrame } from './frames.ts';
import { connectAtGatewayBase } from './gateway-location.ts';
import { StatelyBridge } from './stately-bridge.ts';
import { followInspectStream } from './stream.ts';

byId('load-failed').hidden = true;
const target = document.querySelector<HTMLMetaElement>('meta[name="clawgate-stately-url"]')?.content ?? '';
const state = byId('bridge-state');
if (!target) {
  state.textContent = 'No Stately inspector configured (--inspect-stately-url).';
} else {
  const origin = new URL(target).origin;
  const frame = h('iframe', { attrs: { title: 'Stately inspector', src: target } });
  byId('stately').append(frame);
  const bridge = new StatelyBridge((f) => frame.contentWindow?.postMessage(f, origin));
  const show = () => {
    state.textContent = bridge.isConnected
      ? `Connected to ${origin}: ${bridge.forwarded} frames forwarded`
      : `Waiting for the Stately inspector at ${origin}: ${bridge.buffered} frames buffered`;
  };
  window.addEventListener('message', (e) => {
    if (e.origin !== origin || e.source !== frame.contentWindow) return;
    if (field(e.data, 'type') === '@statelyai.connected') {
      bridge.connect();
      show();
    }
  });
  const { conn, baseHref } = connectAtGatewayBase({
    clientMode: 'ui',
    scopes: ['operator.admin'],
    ui: { status: byId('status'), notices: byId('notices'), login: byId('login') },
  });
  let pending = false;
  followInspectStream(conn.client, baseHref, {
    onText(text) {
      const f = parseFrame(text);
      if (!f) return;
      bridge.frame(f);
      if (!pending) {
        pending = true;
        requestAnimationFrame(() => {
          pending = false;
          show();
        });
      }
    },
    onState(s) {
      byId('stream-state').textContent = s;
    },
  });
  show();
}
