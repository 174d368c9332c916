// Client ids that admission treats specially (openclaw-protocol.md §3.3, §10.2).

/** Control UIs: they need an Origin and a device identity. */
export const CONTROL_UI_CLIENTS = new Set(['openclaw-control-ui', 'openclaw-browser-copilot', 'openclaw-tui']);
/** Browser clients: they may pair silently from a browser origin, and their auth hint names the dashboard. */
export const WEB_CLIENTS = new Set(['openclaw-control-ui', 'webchat-ui', 'webchat']);
/** First-party native app UIs (with `client.mode:"ui"`), the only clients whose metadata refresh is silent. */
export const NATIVE_APP_CLIENTS = new Set(['openclaw-macos', 'openclaw-linux', 'openclaw-ios', 'openclaw-android']);
