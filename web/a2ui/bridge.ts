// The native bridge of the A2UI page (web-surfaces.md C3, C4): the same as the canvas snippet's, without live
// reload. A message goes to the iOS WebKit handler as an object, or to the Android interface as a JSON string;
// the node answers with the window event `openclaw:a2ui-action-status {id, ok, error?}`.

/** What the native side receives for a user action. */
export interface UserActionMessage {
  userAction: {
    id: string;
    name: string;
    surfaceId: string;
    sourceComponentId: string;
    timestamp: string;
    context?: Record<string, unknown>;
  };
}

interface NativeHandlers {
  webkit?: { messageHandlers?: { openclawCanvasA2UIAction?: { postMessage(m: unknown): void } } };
  openclawCanvasA2UIAction?: { postMessage(json: string): void };
}

/** Posts `message` to the node app; false when no native handler is there (a plain browser). */
export function postToNative(message: unknown): boolean {
  const w = globalThis as unknown as NativeHandlers;
  const ios = w.webkit?.messageHandlers?.openclawCanvasA2UIAction;
  if (ios) {
    ios.postMessage(message);
    return true;
  }
  const android = w.openclawCanvasA2UIAction;
  if (android && typeof android.postMessage === 'function') {
    android.postMessage(JSON.stringify(message));
    return true;
  }
  return false;
}

let counter = 0;

/** A fresh user-action id (unique within the page; the node only correlates the status event). */
export function actionId(): string {
  counter += 1;
  const random = crypto.getRandomValues(new Uint32Array(2));
  return `a2ui-${Date.now().toString(36)}-${random[0].toString(36)}${random[1].toString(36)}-${counter}`;
}
