// A small element builder for the inspector: text goes in through text nodes only (web-surfaces.md S11).

/** Attributes and properties of a new element. */
export interface ElementInit {
  attrs?: Record<string, string>;
  text?: string;
  className?: string;
}

/** A new element with `init` applied and `children` appended (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K, init: ElementInit = {}, ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(init.attrs ?? {})) el.setAttribute(k, v);
  if (init.className) el.className = init.className;
  if (init.text !== undefined) el.textContent = init.text;
  for (const c of children) el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}

/** The element with id `id`; throws when the page lacks it. */
export function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el;
}
