// The "Session" picker (web-surfaces W6): the session keys (or display names) of `sessions.list`, newest first.
import type { SessionsListResult } from '../../../src/client/index.ts';

type SessionRow = SessionsListResult['sessions'][number];

/** The picker: its element, the rows to show, and the key chosen. */
export interface SessionPicker {
  element: HTMLElement;
  /** Shows `rows` (newest first) with `current` selected; `current` is listed even before it has a row. */
  show(rows: readonly SessionRow[], current: string): void;
}

/** Builds the picker; `onChoose` gets the key the user picked. */
export function createSessionPicker(onChoose: (key: string) => void): SessionPicker {
  const element = document.createElement('label');
  element.className = 'session-picker';
  element.append('Session ');
  const select = document.createElement('select');
  element.append(select);
  select.addEventListener('change', () => onChoose(select.value));
  return {
    element,
    show(rows, current) {
      const sorted = [...rows].sort((a, b) => (b.updatedAt ?? 0) - (a.updatedAt ?? 0));
      if (!sorted.some((r) => r.key === current)) sorted.unshift({ key: current, kind: 'direct' });
      select.replaceChildren(...sorted.map((row) => {
        const option = document.createElement('option');
        option.value = row.key;
        option.textContent = row.displayName && row.displayName !== row.key ? `${row.displayName} (${row.key})` : row.key;
        return option;
      }));
      select.value = current;
    },
  };
}
