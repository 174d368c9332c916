import type { ActorRecord } from './actor-store.ts';
import { type Column } from './columns.ts';
import { h } from './dom.ts';

// One tab's table (web-surfaces.md I5): its columns, rows filtered by a text, sorted by a numeric column.
// Rows are kept per actor and their cells updated in place, so a focused row keeps its focus across renders.
// A row is selected with a click, Enter or Space.

/** How the table is sorted: a numeric column, descending or ascending. */
export interface SortOrder {
  column: number;
  descending: boolean;
}

/** A table bound to one set of columns. */
export class ActorTable {
  readonly element: HTMLTableElement;
  private readonly body = h('tbody');
  private readonly rows = new Map<string, HTMLTableRowElement>();
  private sort: SortOrder | undefined;
  private readonly headers: HTMLTableCellElement[] = [];

  constructor(
    caption: string,
    private readonly columns: Column[],
    private readonly onSelect: (sessionId: string) => void,
    private readonly onChange: () => void,
  ) {
    const head = h('tr');
    columns.forEach((col, i) => {
      const th = h('th', { attrs: { scope: 'col' } });
      if (col.numeric) {
        th.append(h('button', { text: col.label, attrs: { type: 'button', 'aria-label': `Sort by ${col.label}` } }));
        th.firstElementChild!.addEventListener('click', () => this.sortBy(i));
      } else {
        th.textContent = col.label;
      }
      this.headers.push(th);
      head.append(th);
    });
    this.element = h('table', {}, h('caption', { text: caption }), h('thead', {}, head), this.body);
  }

  /** Shows `records` whose row text contains `filter` (case-insensitive); `selected` is marked. */
  render(records: ActorRecord[], filter: string, selected: string | undefined, now: number): number {
    const needle = filter.trim().toLowerCase();
    const shown: { rec: ActorRecord; cells: (string | number)[] }[] = [];
    for (const rec of records) {
      const cells = this.columns.map((c) => c.cell(rec, now));
      if (needle && !cells.some((v) => String(v).toLowerCase().includes(needle)) && !rec.name.toLowerCase().includes(needle)) continue;
      shown.push({ rec, cells });
    }
    if (this.sort) {
      const { column, descending } = this.sort;
      const num = (v: string | number) => (typeof v === 'number' ? v : -Infinity);
      shown.sort((a, b) => (descending ? num(b.cells[column]) - num(a.cells[column]) : num(a.cells[column]) - num(b.cells[column])));
    }
    const keep = new Set(shown.map((s) => s.rec.sessionId));
    for (const [id, tr] of this.rows) {
      if (!keep.has(id)) {
        tr.remove();
        this.rows.delete(id);
      }
    }
    shown.forEach(({ rec, cells }, index) => {
      const tr = this.rowFor(rec.sessionId);
      cells.forEach((v, i) => {
        const td = tr.cells[i];
        const t = String(v);
        if (td.textContent !== t) td.textContent = t;
      });
      tr.setAttribute('aria-selected', String(rec.sessionId === selected));
      if (this.body.children[index] !== tr) this.body.insertBefore(tr, this.body.children[index] ?? null);
    });
    return shown.length;
  }

  private rowFor(id: string): HTMLTableRowElement {
    let tr = this.rows.get(id);
    if (tr) return tr;
    tr = h('tr', { attrs: { tabindex: '0', 'data-actor': id } });
    for (let i = 0; i < this.columns.length; i++) tr.append(h('td'));
    tr.addEventListener('click', () => this.onSelect(id));
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        this.onSelect(id);
      }
    });
    this.rows.set(id, tr);
    return tr;
  }

  private sortBy(column: number): void {
    this.sort = this.sort?.column === column ? { column, descending: !this.sort.descending } : { column, descending: true };
    this.headers.forEach((th, i) => {
      if (i === this.sort!.column) th.setAttribute('aria-sort', this.sort!.descending ? 'descending' : 'ascending');
      else th.removeAttribute('aria-sort');
    });
    this.onChange();
  }
}
