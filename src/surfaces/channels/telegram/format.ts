// The model's Markdown as Telegram HTML (spec channels.md TG7), converted per chunk after cutting: bold, italic,
// strike, inline code, fenced blocks and links become tags; every other `&`, `<`, `>` is escaped, and a marker
// without its closing partner stays literal text. Telegram refuses unknown tags, so nothing else is emitted.

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const LINK = /^\[([^\]\n]+)\]\(([^()\s]+)\)/;
const SAFE_URL = /^(https?:\/\/|tg:\/\/|mailto:)/i;

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (s: string): string => escapeHtml(s).replace(/"/g, '&quot;');
const isWordChar = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{N}_]/u.test(c);

/** Where the pair closing `marker` (opened at `from`) is, or -1: the inner text is not empty nor space-padded. */
function closingAt(s: string, marker: string, from: number): number {
  const start = from + marker.length;
  let at = s.indexOf(marker, start);
  while (at !== -1) {
    const inner = s.slice(start, at);
    const wordyEnd = marker === '_' && isWordChar(s[at + 1]);
    if (inner.length > 0 && !/^\s|\s$/.test(inner) && !wordyEnd && !inner.includes('\n\n')) return at;
    at = s.indexOf(marker, at + 1);
  }
  return -1;
}

/** Inline Markdown (no fences) as Telegram HTML. */
function inlineToHtml(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (c === '`') {
      const end = s.indexOf('`', i + 1);
      if (end > i + 1) {
        out += `<code>${escapeHtml(s.slice(i + 1, end))}</code>`;
        i = end + 1;
        continue;
      }
    } else if (c === '[') {
      const m = LINK.exec(s.slice(i));
      if (m && SAFE_URL.test(m[2] as string)) {
        out += `<a href="${escapeAttr(m[2] as string)}">${inlineToHtml(m[1] as string)}</a>`;
        i += m[0].length;
        continue;
      }
    } else if (c === '*' || c === '~' || c === '_') {
      const double = s[i + 1] === c;
      const pairs: [string, string][] = double
        ? (c === '*' ? [['**', 'b']] : c === '~' ? [['~~', 's']] : [['__', 'b']])
        : c === '~' ? [] : [[c, 'i']];
      let done = false;
      for (const [marker, tag] of pairs) {
        if (marker === '_' && isWordChar(s[i - 1])) continue; // snake_case is not italic
        const end = closingAt(s, marker, i);
        if (end === -1) continue;
        out += `<${tag}>${inlineToHtml(s.slice(i + marker.length, end))}</${tag}>`;
        i = end + marker.length;
        done = true;
      }
      if (done) continue;
      if (double) {
        out += escapeHtml(c + c);
        i += 2;
        continue;
      }
    }
    out += escapeHtml(c);
    i++;
  }
  return out;
}

/**
 * Converts one chunk of Markdown to the HTML subset Telegram accepts with `parse_mode: "HTML"` (TG7):
 * `**b**` → `<b>`, `*i*`/`_i_` → `<i>`, `~~s~~` → `<s>`, `` `c` `` → `<code>`, fenced blocks →
 * `<pre><code class="language-x">`, `[t](url)` → `<a href="url">` (http, https, tg and mailto only).
 */
export function markdownToTelegramHtml(md: string): string {
  const lines = md.split('\n');
  const out: string[] = [];
  let text: string[] = [];
  const flushText = () => {
    if (text.length > 0) out.push(inlineToHtml(text.join('\n')));
    text = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE_OPEN.exec(lines[i] as string);
    if (open) {
      const marker = open[1] as string;
      const close = lines.findIndex((l, j) => j > i && l.trim().length >= marker.length && [...l.trim()].every((ch) => ch === marker[0]));
      if (close !== -1) {
        flushText();
        const lang = (open[2] as string).replace(/[^\w+#.-]/g, '');
        const code = escapeHtml(lines.slice(i + 1, close).join('\n'));
        out.push(lang ? `<pre><code class="language-${lang}">${code}</code></pre>` : `<pre><code>${code}</code></pre>`);
        i = close;
        continue;
      }
    }
    text.push(lines[i] as string);
  }
  flushText();
  return out.join('\n');
}
