// The A2UI page (web-surfaces.md C4): defines `<openclaw-a2ui-host>`, offers `globalThis.openclawA2UI`
// (applyMessages, reset, getSurfaces; never throws) and applies `globalThis.openclawA2UIBoot.messages` at boot.
import { A2uiHost, type HostResult } from './host.ts';

/** The page API the node apps call. */
interface A2uiPageApi {
  applyMessages(messages: unknown): HostResult;
  reset(): HostResult;
  getSurfaces(): string[];
}

declare global {
  var openclawA2UI: A2uiPageApi | undefined;
  var openclawA2UIBoot: { messages?: unknown } | undefined;
}

if (!customElements.get('openclaw-a2ui-host')) customElements.define('openclaw-a2ui-host', A2uiHost);

function host(): A2uiHost {
  let el = document.querySelector('openclaw-a2ui-host');
  if (!(el instanceof A2uiHost)) {
    el = document.createElement('openclaw-a2ui-host');
    document.body.append(el);
  }
  return el as A2uiHost;
}

const failed = (err: unknown): HostResult => ({ ok: false, error: err instanceof Error ? err.message : String(err) });

globalThis.openclawA2UI = {
  applyMessages(messages) {
    try {
      return host().apply(messages);
    } catch (err) {
      return failed(err);
    }
  },
  reset() {
    try {
      return host().reset();
    } catch (err) {
      return failed(err);
    }
  },
  getSurfaces() {
    try {
      return host().surfaceIds();
    } catch {
      return [];
    }
  },
};

const boot = globalThis.openclawA2UIBoot?.messages;
if (boot !== undefined) {
  const result = globalThis.openclawA2UI.applyMessages(boot);
  if (!result.ok) console.warn(`A2UI boot messages not applied: ${result.error}`);
}
