import { h } from './dom.ts';
import { field } from './frames.ts';

// The machine's state tree as nested lists (web-surfaces.md I5), built from the `definition` JSON of its
// `@xstate.actor` frame; the states of the snapshot's value are marked active. No layout is drawn.

/** Whether the state at `path` (names from the root) is active in the state value `value`. */
export function isActive(value: unknown, path: string[]): boolean {
  if (path.length === 0) return true;
  const [head, ...rest] = path;
  if (typeof value === 'string') return rest.length === 0 && value === head;
  if (typeof value !== 'object' || value === null || !(head in value)) return false;
  return isActive((value as Record<string, unknown>)[head], rest);
}

/** The nested list of `definition`'s states, or a note when there is none. */
export function stateTree(definition: string | undefined, value: unknown): HTMLElement {
  let config: unknown;
  try {
    config = definition ? JSON.parse(definition) : undefined;
  } catch {
    config = undefined;
  }
  const states = field(config, 'states');
  if (typeof states !== 'object' || states === null) return h('p', { text: 'No states (not a state machine).' });
  return list(states as Record<string, unknown>, [], value);
}

function list(states: Record<string, unknown>, path: string[], value: unknown): HTMLElement {
  const ul = h('ul');
  for (const [name, node] of Object.entries(states)) {
    const here = [...path, name];
    const active = isActive(value, here);
    const label = active ? `${name} (active)` : name;
    const li = h('li', active ? { className: 'active', attrs: { 'aria-current': 'true' } } : {}, h('span', { text: label }));
    const inner = field(node, 'states');
    if (typeof inner === 'object' && inner !== null) li.append(list(inner as Record<string, unknown>, here, value));
    ul.append(li);
  }
  return ul;
}
