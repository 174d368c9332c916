import type { OptionName, RawOptions } from './options.js';

/** Typed access to the raw options (each already coerced to its option's kind). */
export interface OptionReader {
  /** The raw options themselves, for the rare rule that needs the value as given. */
  raw: RawOptions;
  str(name: OptionName): string | undefined;
  int(name: OptionName): number | undefined;
  bool(name: OptionName): boolean | undefined;
  /** The list with each entry trimmed and blank entries dropped; undefined when not given. */
  list(name: OptionName): string[] | undefined;
}

/** An {@link OptionReader} over `raw`. */
export function readOptions(raw: RawOptions): OptionReader {
  return {
    raw,
    str: (n) => raw[n] as string | undefined,
    int: (n) => raw[n] as number | undefined,
    bool: (n) => raw[n] as boolean | undefined,
    list: (n) => cleanList(raw[n]),
  };
}

function cleanList(list: unknown): string[] | undefined {
  if (!Array.isArray(list)) return undefined;
  return list.map((s: string) => s.trim()).filter((s) => s !== '');
}
