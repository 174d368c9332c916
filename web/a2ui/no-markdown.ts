// Stands in for the optional peer `@a2ui/markdown-it` (scripts/build-web.mjs maps it here): A2UI's Text then
// falls back to plain text, and nothing renders Markdown (web-surfaces.md S11; `# …` shows as it is).

/** Always refuses, so the renderer takes its plain-text path. */
export function renderMarkdown(): Promise<string> {
  return Promise.reject(new Error('no Markdown renderer in Clawgate'));
}
