import { ActorStore, type Stats } from './actor-store.ts';
import { ActorTable } from './actor-table.ts';
import { COLUMNS, KIND_TITLES } from './columns.ts';
import { renderDetail } from './detail-pane.ts';
import { h } from './dom.ts';
import { KINDS, type Kind, parseFrame } from './frames.ts';
import { renderLoop } from './render-loop.ts';

// The inspector's view (web-surfaces.md I5): a stats strip, controls (filter, Pause, Clear, "Open in Stately"
// when the bridge is configured), one tab per kind with its count, the table of the open tab, and the detail
// pane. Frames are applied as they arrive (also while paused: they keep being counted); renders are batched,
// at most 10 a second.

/** The inspector bound to its page elements. */
export interface Inspector {
  /** One text frame of the stream. */
  receive(text: string): void;
  /** The stream's state line. */
  setStreamState(state: string): void;
}

const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;

function statsText(stats: Stats | undefined, frames: number): string {
  if (!stats) return `waiting for stats · ${frames} frames`;
  const a = stats.actors;
  return [
    `sessions ${a.session ?? 0}`, `connections ${a.connection ?? 0}`, `nodes ${a.node ?? 0}`, `channels ${a.channel ?? 0}`,
    `${stats.eventsPerSec} events/s`, `dropped ${stats.dropped}`, `heap ${mb(stats.heapUsedBytes)}`,
    `event loop p99 ${stats.eventLoopDelayP99Ms} ms`, `${frames} frames`,
  ].join(' · ');
}

/** Builds the inspector in `root`; `showStately` reveals "Open in Stately" (only when the bridge is configured). */
export function mountInspector(root: HTMLElement): Inspector & { showStately(href: string): void } {
  const store = new ActorStore();
  let open: Kind = 'session';
  let selected: string | undefined;
  const stats = h('p', { attrs: { id: 'stats', 'aria-label': 'Stats' } });
  const streamState = h('p', { attrs: { id: 'stream-state', 'aria-live': 'polite' }, text: 'Stream not open yet' });
  const filter = h('input', { attrs: { type: 'search', 'aria-label': 'Filter', placeholder: 'Filter' } });
  const pause = h('button', { attrs: { type: 'button', 'aria-pressed': 'false' }, text: 'Pause' });
  const clear = h('button', { attrs: { type: 'button' }, text: 'Clear' });
  const stately = h('a', { attrs: { target: '_blank', rel: 'noopener' }, text: 'Open in Stately' });
  stately.hidden = true;
  const tablist = h('div', { attrs: { role: 'tablist', 'aria-label': 'Actor kinds' } });
  const panel = h('div', { attrs: { role: 'tabpanel', id: 'actors-panel' } });
  const detail = h('section', { attrs: { 'aria-label': 'Detail', id: 'detail' } });
  const tabs = new Map<Kind, HTMLButtonElement>();
  const tables = new Map<Kind, ActorTable>();
  const loop = renderLoop(render);
  let shownDetail = '';

  for (const kind of KINDS) {
    const tab = h('button', { attrs: { type: 'button', role: 'tab', 'aria-controls': 'actors-panel', id: `tab-${kind}` } });
    tab.addEventListener('click', () => {
      open = kind;
      render();
    });
    tabs.set(kind, tab);
    tablist.append(tab);
    tables.set(kind, new ActorTable(KIND_TITLES[kind], COLUMNS[kind], (id) => {
      selected = id;
      render();
    }, render));
  }
  filter.addEventListener('input', () => render());
  pause.addEventListener('click', () => {
    loop.setPaused(!loop.paused);
    pause.setAttribute('aria-pressed', String(loop.paused));
    pause.textContent = loop.paused ? 'Resume' : 'Pause';
    if (!loop.paused) render();
  });
  clear.addEventListener('click', () => {
    store.clearEvents();
    render();
  });
  root.append(
    stats, streamState,
    h('div', { className: 'controls' }, filter, pause, clear, stately),
    tablist, panel, detail,
  );

  function render(): void {
    const now = Date.now();
    stats.textContent = statsText(store.stats, store.frames);
    for (const kind of KINDS) {
      const count = store.ofKind(kind).length;
      const tab = tabs.get(kind)!;
      tab.textContent = `${KIND_TITLES[kind]} (${count})`;
      tab.setAttribute('aria-selected', String(kind === open));
    }
    const table = tables.get(open)!;
    panel.setAttribute('aria-labelledby', `tab-${open}`);
    if (panel.firstElementChild !== table.element) panel.replaceChildren(table.element);
    table.render(store.ofKind(open), filter.value, selected, now);
    // the detail pane only when what it shows changed (its <pre> keeps its scroll and selection otherwise)
    const rec = selected ? store.actors.get(selected) : undefined;
    const key = `${selected}:${rec?.version}:${store.generation}`;
    if (key !== shownDetail) {
      shownDetail = key;
      renderDetail(detail, store, rec, selected);
    }
  }
  render();

  return {
    receive(text) {
      const frame = parseFrame(text);
      if (frame && store.apply(frame)) loop.request();
    },
    setStreamState(state) {
      streamState.textContent = state;
    },
    showStately(href) {
      stately.href = href;
      stately.hidden = false;
    },
  };
}
