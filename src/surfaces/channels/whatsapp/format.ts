// Markdown (what the model writes) → WhatsApp's own formatting (spec channels.md WA6, optional): `*bold*`,
// `_italic_`, `~strike~`, ``` blocks and `inline code` as they are. Code is never touched; headings become bold
// lines, links `text (url)`, `* item` bullets `- item` (WhatsApp would read a leading `*` as bold). Anything
// else passes through unchanged, so plain text stays exactly what it was.

const FENCE = /```[^\n]*\n[\s\S]*?```/g;
const INLINE_CODE = /`[^`\n]+`/g;
/** Stands in for a bold marker while single-asterisk italics are rewritten. */
const BOLD = '\uE000'; // a private-use character, not expected in a reply

/** Markdown → WhatsApp formatting (see the file comment). */
export function markdownToWhatsApp(markdown: string): string {
  return splitKeeping(markdown, FENCE, (code) => code.replace(/^```[^\n]*\n/, '```\n'), (prose) =>
    splitKeeping(prose, INLINE_CODE, (code) => code, formatProse));
}

/** Applies `inside` to the matches of `re` and `outside` to the text between them. */
function splitKeeping(text: string, re: RegExp, inside: (s: string) => string, outside: (s: string) => string): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(re)) {
    out += outside(text.slice(last, m.index)) + inside(m[0]);
    last = m.index + m[0].length;
  }
  return out + outside(text.slice(last));
}

function formatProse(text: string): string {
  return text
    .replace(/^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$/gm, `${BOLD}$1${BOLD}`)
    .replace(/^([ \t]*)\*[ \t]+/gm, '$1- ')
    .replace(/\*\*\*(?=\S)([^\n]*?\S)\*\*\*/g, `${BOLD}_$1_${BOLD}`)
    .replace(/\*\*(?=\S)([^\n]*?\S)\*\*/g, `${BOLD}$1${BOLD}`)
    .replace(/__(?=\S)([^\n]*?\S)__/g, `${BOLD}$1${BOLD}`)
    .replace(/(^|[^\w*])\*(?=\S)([^*\n\uE000]*?\S)\*(?![\w*])/g, '$1_$2_')
    .replace(/~~(?=\S)([^\n]*?\S)~~/g, '~$1~')
    .replace(/\[([^\]\n]+)\]\(([^)\s]+)\)/g, (_m, label: string, url: string) => (label === url ? url : `${label} (${url})`))
    .replaceAll(BOLD, '*');
}
