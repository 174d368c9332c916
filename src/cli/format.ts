// Plain-text output for the owner CLI commands: compact left-aligned tables, ages, short ids.

/** Columns padded to their widest cell, two spaces apart; no trailing spaces. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** `42s`, `5m`, `3h`, `2d` since `ms` (epoch ms); `-` when unknown. */
export function age(ms: unknown, now = Date.now()): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '-';
  const s = Math.max(0, Math.floor((now - ms) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** The first 12 characters of a long id (a device id is 64 hex digits). */
export const short = (id: unknown): string => (typeof id === 'string' && id !== '' ? id.slice(0, 12) : '-');

/** The items joined by commas; `-` for none. */
export const list = (v: unknown): string => (Array.isArray(v) && v.length > 0 ? v.join(',') : '-');

/** A string or number as is; `-` when empty or absent. */
export const text = (v: unknown): string => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : '-');

/** `yes`/`no` for a boolean; `-` otherwise. */
export const yesNo = (v: unknown): string => (v === true ? 'yes' : v === false ? 'no' : '-');

/** `clientId/clientMode`, plus the display name when there is one. */
export function client(o: { clientId?: unknown; clientMode?: unknown; displayName?: unknown }): string {
  const id = [o.clientId, o.clientMode].filter((x) => typeof x === 'string' && x !== '').join('/') || '-';
  return typeof o.displayName === 'string' && o.displayName !== '' ? `${id} "${o.displayName}"` : id;
}

/** A JSON value's fields if it is an object, else none: gateway payloads are read field by field. */
export function fields(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Prints a value as indented JSON on stdout (the `--json` output). */
export function printJson(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
}
