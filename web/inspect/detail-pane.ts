import type { ActorRecord, ActorStore } from './actor-store.ts';
import { h } from './dom.ts';
import { field } from './frames.ts';
import { stateTree } from './state-tree.ts';

// The detail pane of the selected actor (web-surfaces.md I5): the sanitized snapshot as JSON text in a <pre>,
// the state tree with the active states marked, the last 50 events, and the messages to and from the actor as
// `source → target: event type`. All text (S11).

const time = (ms: number) => new Date(ms).toISOString().slice(11, 23);

/** Fills `root` with the detail of `rec` (or a hint when nothing is selected). */
export function renderDetail(root: HTMLElement, store: ActorStore, rec: ActorRecord | undefined, selectedId: string | undefined): void {
  if (!rec) {
    root.replaceChildren(h('h2', { text: 'Detail' }), h('p', {
      text: selectedId ? 'This actor has stopped.' : 'Select a row to see its snapshot, state tree, events and messages.',
    }));
    return;
  }
  const children = [...store.actors.values()].filter((r) => r.parentId === rec.sessionId && !r.stopped);
  root.replaceChildren(
    h('h2', { text: `${rec.name} (${rec.sessionId})` }),
    h('h3', { text: 'State tree' }),
    stateTree(rec.definition, field(rec.snapshot, 'value')),
    h('h3', { text: 'Children' }),
    children.length
      ? h('ul', {}, ...children.map((c) => h('li', { text: `${c.name} (${c.sessionId}): ${c.state || String(field(c.snapshot, 'status') ?? '')}` })))
      : h('p', { text: 'None' }),
    h('h3', { text: 'Snapshot' }),
    h('pre', { attrs: { 'aria-label': 'Snapshot' }, text: JSON.stringify(rec.snapshot, null, 2) ?? '' }),
    h('h3', { text: `Last events (${rec.events.length})` }),
    h('ol', { attrs: { 'aria-label': 'Last events' } }, ...rec.events.map((e) => h('li', { text: `${time(e.at)} ${e.type} ${e.json}` }))),
    h('h3', { text: `Messages (${rec.messages.length})` }),
    h('ol', { attrs: { 'aria-label': 'Messages' } }, ...rec.messages.map((m) => h('li', { text: `${m.source} → ${m.target}: ${m.type}` }))),
  );
}
