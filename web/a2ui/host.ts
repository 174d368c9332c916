// The A2UI host element (web-surfaces.md C4): one v0.8 signal message processor, one `<a2ui-surface>` per
// surface, the theme provided through `@lit/context`, and user actions turned into `{userAction}` messages for
// the native bridge. Lit writes every bound value as text or a property, never as markup.
import { ContextProvider } from '@lit/context';
import { Data, type Types } from '@a2ui/lit/v0_8';
import * as UI from '@a2ui/lit/ui';
import { css, html, LitElement } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { actionId, postToNative, type UserActionMessage } from './bridge.ts';
import { plainTheme } from './theme.ts';

/** The answer of applyMessages and reset: the surfaces now shown, or why nothing was applied. */
export type HostResult = { ok: true; surfaces: string[] } | { ok: false; error: string };

type ActionEvent = Event & { detail?: { action?: Types.Action; sourceComponentId?: string; sourceComponent?: Types.AnyComponentNode | null } };

/** A data-model value as plain JSON (the processor keeps maps and arrays of signals). */
function plain(value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), plain(v)]));
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

/** `<openclaw-a2ui-host>`: see the file comment. */
export class A2uiHost extends LitElement {
  static override styles = css`
    :host { display: block; font-family: system-ui, sans-serif; }
    [role='status'] { white-space: pre-wrap; min-height: 1.2em; }
  `;

  readonly processor = Data.createSignalA2uiMessageProcessor();
  /** The last action's status from the node (`openclaw:a2ui-action-status`), as text. */
  private status = '';

  constructor() {
    super();
    // every component consumes the theme; without a provider they throw while reading `components`
    new ContextProvider(this, { context: UI.Context.themeContext, initialValue: plainTheme });
    this.addEventListener('a2uiaction', (e) => this.onAction(e as ActionEvent));
    globalThis.addEventListener('openclaw:a2ui-action-status', (e) => {
      const d = (e as CustomEvent<{ id?: string; ok?: boolean; error?: string }>).detail ?? {};
      this.status = d.ok ? 'Action sent' : `Action failed: ${d.error ?? 'unknown error'}`;
      this.requestUpdate();
    });
  }

  /** The ids of the surfaces shown. */
  surfaceIds(): string[] {
    return [...this.processor.getSurfaces().keys()];
  }

  /** Applies v0.8 messages; bad input changes nothing and is answered, never thrown. */
  apply(messages: unknown): HostResult {
    if (!Array.isArray(messages)) return { ok: false, error: 'messages must be an array' };
    const bad = messages.findIndex((m) => m === null || typeof m !== 'object' || Array.isArray(m));
    if (bad >= 0) return { ok: false, error: `message ${bad + 1} is not an object` };
    try {
      this.processor.processMessages(messages as Types.ServerToClientMessage[]);
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    } finally {
      this.requestUpdate(); // under esbuild's class fields Lit's reactivity is shadowed: ask for the render
    }
    return { ok: true, surfaces: this.surfaceIds() };
  }

  /** Removes every surface. */
  reset(): HostResult {
    this.processor.clearSurfaces();
    this.requestUpdate();
    return { ok: true, surfaces: [] };
  }

  private onAction(e: ActionEvent): void {
    const detail = e.detail;
    const action = detail?.action;
    if (!action?.name) return;
    const surface = e.composedPath().find((el): el is UI.Surface => el instanceof UI.Surface);
    const surfaceId = surface?.surfaceId ?? '';
    const context: Record<string, unknown> = {};
    for (const item of action.context ?? []) {
      const v = item.value;
      if (v.path !== undefined) {
        const node = detail?.sourceComponent;
        context[item.key] = node ? plain(this.processor.getData(node, v.path, surfaceId)) : null;
      } else {
        context[item.key] = v.literalString ?? v.literalNumber ?? v.literalBoolean ?? null;
      }
    }
    const message: UserActionMessage = {
      userAction: {
        id: actionId(), name: action.name, surfaceId, sourceComponentId: detail?.sourceComponentId ?? '',
        timestamp: new Date().toISOString(), ...(Object.keys(context).length > 0 ? { context } : {}),
      },
    };
    if (!postToNative(message)) {
      this.status = 'No node app to send the action to';
      this.requestUpdate();
    }
  }

  override render() {
    const surfaces = [...this.processor.getSurfaces().entries()];
    return html`${repeat(surfaces, ([id]) => id, ([id, surface]) => html`<a2ui-surface .surfaceId=${id} .surface=${surface}
      .processor=${this.processor}></a2ui-surface>`)}<p role="status" aria-live="polite">${this.status}</p>`;
  }
}
