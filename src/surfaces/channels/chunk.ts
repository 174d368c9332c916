// Splitting a final reply into platform messages (spec channels.md C7). Lengths are UTF-16 code units (what
// Telegram counts). A cut prefers a paragraph break, then a newline, then a sentence end, then whitespace, then
// a hard cut that never splits a surrogate pair. A fenced code block cut in two is closed at the end of the
// chunk and reopened with the same opening line at the start of the next one; the closing marker counts.

/** A fence opening line: up to 3 spaces, then 3+ backticks or tildes, then an info string. */
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})(.*)$/;

interface Fence {
  /** The opening line as written (reopened verbatim in the next chunk). */
  line: string;
  /** The marker run (``` or ~~~~…): a closing line repeats it. */
  marker: string;
}

/** The fence state after reading `text[from, to)` line by line, starting in `open`. */
function fenceAt(text: string, from: number, to: number, open: Fence | null): Fence | null {
  let state = open;
  let lineStart = from;
  while (lineStart < to) {
    const nl = text.indexOf('\n', lineStart);
    const lineEnd = nl === -1 || nl >= to ? to : nl;
    // Only complete lines (or the line the cut ends) change the state; a line cut in half is still one line.
    const line = text.slice(lineStart, lineEnd).replace(/\r$/, '');
    state = nextFenceState(line, state);
    if (nl === -1 || nl >= to) break;
    lineStart = nl + 1;
  }
  return state;
}

function nextFenceState(line: string, open: Fence | null): Fence | null {
  if (open) {
    const trimmed = line.trim();
    const ch = open.marker[0] as string;
    if (trimmed.length >= open.marker.length && /^ {0,3}\S/.test(line) && [...trimmed].every((c) => c === ch)) return null;
    return open;
  }
  const m = FENCE_OPEN.exec(line);
  if (!m) return null;
  const marker = m[1] as string;
  // A backtick fence's info string may not contain a backtick (CommonMark); then it is inline code.
  if (marker[0] === '`' && (m[2] as string).includes('`')) return null;
  return { line: line.trimEnd(), marker };
}

const isSpace = (c: string | undefined): boolean => c !== undefined && /\s/.test(c);
const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

/** The best cut in `text[pos, pos+budget]`: `end` = where the chunk's text ends, `next` = where the rest begins. */
function findCut(text: string, pos: number, budget: number): { end: number; next: number } {
  const max = pos + budget;
  // The first non-space of the chunk: a cut before it would make an empty chunk.
  let first = pos;
  while (first < text.length && isSpace(text[first])) first++;
  const window = text.slice(pos, Math.min(text.length, max + 2));
  const lastMatch = (re: RegExp): number => {
    let found = -1;
    for (const m of window.matchAll(re)) {
      const at = pos + m.index;
      if (at > first && at <= max) found = at;
    }
    return found;
  };
  const paragraph = lastMatch(/\n[ \t\r]*\n/g);
  if (paragraph !== -1) return { end: paragraph, next: paragraph };
  const newline = lastMatch(/\n/g);
  if (newline !== -1) return { end: newline, next: newline };
  const sentence = lastMatch(/(?<=[.!?])[ \t]/g);
  if (sentence !== -1) return { end: sentence, next: sentence };
  const space = lastMatch(/\s/g);
  if (space !== -1) return { end: space, next: space };
  let hard = Math.max(pos + 1, max);
  if (hard < text.length && isHighSurrogate(text.charCodeAt(hard - 1)) && hard - 1 > pos) hard -= 1;
  return { end: hard, next: hard };
}

/** Skips the whitespace at a cut; inside a code block only up to the last line break (indentation is code). */
function skipCutWhitespace(text: string, at: number, inCode: boolean): number {
  let i = at;
  let afterLastBreak = at;
  while (i < text.length && isSpace(text[i])) {
    i++;
    if (text[i - 1] === '\n') afterLastBreak = i;
  }
  if (!inCode || i >= text.length) return i;
  return afterLastBreak > at ? afterLastBreak : i;
}

/**
 * Splits `text` into chunks of at most `limit` UTF-16 code units (C7). Returns no chunk for a blank text.
 * Throws a RangeError for a limit below 2 (a surrogate pair must fit).
 */
export function chunkText(text: string, limit: number): string[] {
  if (!Number.isInteger(limit) || limit < 2) throw new RangeError(`chunk limit must be an integer >= 2, got ${limit}`);
  const chunks: string[] = [];
  let pos = 0;
  let open: Fence | null = null;
  while (pos < text.length) {
    const reopen: string = open ? `${open.line}\n` : '';
    const rest = text.slice(pos);
    if (reopen.length + rest.length <= limit) {
      pushChunk(chunks, reopen, rest.trimEnd(), '');
      break;
    }
    // Repairing fences needs room for the reopened line, the closing marker and some text; else cut plainly.
    const repair: boolean = open === null || reopen.length + open.marker.length + 1 + 8 <= limit;
    const prefix = repair ? reopen : '';
    let cut = findCut(text, pos, limit - prefix.length);
    let after: Fence | null = repair ? fenceAt(text, pos, cut.end, open) : null;
    if (after) {
      const close = `\n${after.marker}`;
      if (prefix.length + close.length + 8 <= limit) {
        cut = findCut(text, pos, limit - prefix.length - close.length);
        after = fenceAt(text, pos, cut.end, open);
      } else {
        after = null;
      }
    }
    const body = text.slice(pos, cut.end).trimEnd();
    pushChunk(chunks, prefix, body, after ? `\n${after.marker}` : '');
    pos = skipCutWhitespace(text, cut.next, after !== null);
    open = after;
  }
  return chunks;
}

function pushChunk(chunks: string[], prefix: string, body: string, suffix: string): void {
  if (body.trim() === '') return;
  chunks.push(prefix + body + suffix);
}
