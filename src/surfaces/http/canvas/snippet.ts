// The static snippet every served canvas HTML page gets (web-surfaces.md C3): the OpenClaw bridge
// (`openclawSendUserAction` to the iOS / Android native handler) and the live-reload socket. It holds no
// per-request value: nothing from the request is ever written into HTML.

/** The inline script, inserted before the page's last `</body>` (or appended). */
export const CANVAS_SNIPPET = `<script>(function(){
var post=function(m){var s=JSON.stringify(m);
if(window.webkit&&webkit.messageHandlers&&webkit.messageHandlers.openclawCanvasA2UIAction){webkit.messageHandlers.openclawCanvasA2UIAction.postMessage(m);return true}
if(window.openclawCanvasA2UIAction&&openclawCanvasA2UIAction.postMessage){openclawCanvasA2UIAction.postMessage(s);return true}
return false};
var n=0;var send=function(a){var id=(a&&a.id)||('a'+Date.now().toString(36)+(n++));var u=Object.assign({},a,{id:id});post({userAction:u});return id};
window.OpenClaw=Object.assign(window.OpenClaw||{},{postMessage:post,sendUserAction:send});
window.openclawPostMessage=post;window.openclawSendUserAction=send;
try{var p=location.pathname,i=p.indexOf('__openclaw__/canvas/');var pre=i>=0?p.slice(0,i):'/';
var ws=new WebSocket((location.protocol==='https:'?'wss://':'ws://')+location.host+pre+'__openclaw__/ws'+location.search);
ws.onmessage=function(e){if(e.data==='reload')location.reload()};
ws.onerror=function(){console.warn('canvas live reload unavailable')};}catch(e){console.warn('canvas live reload unavailable')}
})();</script>`;

/** `html` with the snippet before its last `</body>`, or at its end. */
export function withSnippet(html: string): string {
  const at = html.toLowerCase().lastIndexOf('</body>');
  return at < 0 ? html + CANVAS_SNIPPET : html.slice(0, at) + CANVAS_SNIPPET + html.slice(at);
}
