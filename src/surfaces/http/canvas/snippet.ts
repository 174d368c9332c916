// The static snippet every served canvas HTML page gets (web-surfaces.md C3): the OpenClaw bridge
// (`openclawSendUserAction` to the iOS / Android native handler) and, unless --no-canvas-live-reload, the
// live-reload socket. It holds no per-request value: nothing from the request is ever written into HTML.

const BRIDGE = `var post=function(m){var s=JSON.stringify(m);
if(window.webkit&&webkit.messageHandlers&&webkit.messageHandlers.openclawCanvasA2UIAction){webkit.messageHandlers.openclawCanvasA2UIAction.postMessage(m);return true}
if(window.openclawCanvasA2UIAction&&openclawCanvasA2UIAction.postMessage){openclawCanvasA2UIAction.postMessage(s);return true}
return false};
var n=0;var send=function(a){var id=(a&&a.id)||('a'+Date.now().toString(36)+(n++));var u=Object.assign({},a,{id:id});post({userAction:u});return id};
window.OpenClaw=Object.assign(window.OpenClaw||{},{postMessage:post,sendUserAction:send});
window.openclawPostMessage=post;window.openclawSendUserAction=send;
`;

const LIVE_RELOAD = `try{var p=location.pathname,i=p.indexOf('__openclaw__/canvas/');var pre=i>=0?p.slice(0,i):'/';
var ws=new WebSocket((location.protocol==='https:'?'wss://':'ws://')+location.host+pre+'__openclaw__/ws'+location.search);
ws.onmessage=function(e){if(e.data==='reload')location.reload()};
ws.onerror=function(){console.warn('canvas live reload unavailable')};}catch(e){console.warn('canvas live reload unavailable')}
`;

/** The inline script with the bridge and the live-reload socket, inserted before the page's last `</body>` (or appended). */
export const CANVAS_SNIPPET = `<script>(function(){\n${BRIDGE}${LIVE_RELOAD}})();</script>`;

/** The same without the live-reload socket (--no-canvas-live-reload). */
export const CANVAS_SNIPPET_NO_RELOAD = `<script>(function(){\n${BRIDGE}})();</script>`;

/** `html` with the snippet before its last `</body>`, or at its end; `liveReload: false` leaves out the socket. */
export function withSnippet(html: string, liveReload = true): string {
  const snippet = liveReload ? CANVAS_SNIPPET : CANVAS_SNIPPET_NO_RELOAD;
  const at = html.toLowerCase().lastIndexOf('</body>');
  return at < 0 ? html + snippet : html.slice(0, at) + snippet + html.slice(at);
}
