import type { ErrorShape } from './authorize.js';

// A2UI JSONL checked at the gateway, before a node sees it (web-surfaces.md C6; OpenClaw checks only on the
// node). `canvas.a2ui.push` carries `{messages[]}` or `{jsonl}`, `canvas.a2ui.pushJSONL` carries `{jsonl}`.
// The renderer the nodes bundle is A2UI v0.8: every non-blank line (or array item) is one JSON object with
// exactly one of beginRendering, surfaceUpdate, dataModelUpdate, deleteSurface, and its surfaceId. v0.9
// lines (`"version":"v0.9"`, or a v0.9-only key) are refused, and so is a mix of versions. Line numbers count
// every line of the JSONL (blank ones too), or the 1-based item of `messages`; 0 is the params as a whole.

/** The commands whose params carry A2UI messages. */
export const A2UI_PUSH_COMMANDS: ReadonlySet<string> = new Set(['canvas.a2ui.push', 'canvas.a2ui.pushJSONL']);

/** The reason given for v0.9 input. */
export const A2UI_V09_REASON = 'Detected unsupported A2UI v0.9 JSONL. Clawgate currently supports v0.8 only.';

const V08_KEYS = ['beginRendering', 'surfaceUpdate', 'dataModelUpdate', 'deleteSurface'] as const;
/** Keys that only A2UI v0.9 messages have. */
const V09_KEYS = ['createSurface', 'updateComponents', 'updateDataModel'];

/** A refused input: why, and the line (or item) it was found on. */
export interface A2uiProblem {
  reason: string;
  line: number;
}

type Version = 'v0.8' | 'v0.9';
type LineVerdict = { version: Version } | { error: string };

/** One parsed message: its version, or what is wrong with it. */
function judge(value: unknown): LineVerdict {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { error: 'expected a JSON object' };
  const record = value as Record<string, unknown>;
  if (record.version === 'v0.9' || V09_KEYS.some((k) => Object.hasOwn(record, k))) return { version: 'v0.9' };
  if (record.version !== undefined) return { error: `unsupported A2UI version ${JSON.stringify(record.version)}` };
  const keys = V08_KEYS.filter((k) => Object.hasOwn(record, k));
  if (keys.length !== 1) return { error: `expected exactly one of ${V08_KEYS.join(', ')}` };
  const body = record[keys[0]];
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { error: `${keys[0]} must be an object` };
  const surfaceId = (body as Record<string, unknown>).surfaceId;
  if (typeof surfaceId !== 'string' || surfaceId === '') return { error: `${keys[0]} needs a surfaceId` };
  return { version: 'v0.8' };
}

/** Checks a list of (line number, message) pairs; undefined when every one is a v0.8 message. */
function checkAll(items: Iterable<{ line: number; parse(): unknown }>): A2uiProblem | undefined {
  let first: { version: Version; line: number } | undefined;
  for (const item of items) {
    let value: unknown;
    try {
      value = item.parse();
    } catch (err) {
      return { reason: `line ${item.line}: not JSON (${err instanceof Error ? err.message : String(err)})`, line: item.line };
    }
    const verdict = judge(value);
    if ('error' in verdict) return { reason: `line ${item.line}: ${verdict.error}`, line: item.line };
    first ??= { version: verdict.version, line: item.line };
    if (verdict.version !== first.version) return { reason: 'mixed A2UI versions', line: item.line };
  }
  if (!first) return { reason: 'no A2UI messages', line: 0 };
  if (first.version === 'v0.9') return { reason: A2UI_V09_REASON, line: first.line };
  return undefined;
}

/** Checks A2UI v0.8 JSONL text; undefined when it is valid. */
export function checkA2uiJsonl(jsonl: string): A2uiProblem | undefined {
  const lines = jsonl.split(/\r?\n/);
  return checkAll(function* () {
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i].trim();
      if (text !== '') yield { line: i + 1, parse: () => JSON.parse(text) as unknown };
    }
  }());
}

/** Checks the params of `command` when it is an A2UI push; undefined when they may go to the node. */
export function checkA2uiPush(command: string, params: unknown): A2uiProblem | undefined {
  if (!A2UI_PUSH_COMMANDS.has(command)) return undefined;
  const p = params !== null && typeof params === 'object' && !Array.isArray(params) ? (params as Record<string, unknown>) : {};
  if (typeof p.jsonl === 'string') return checkA2uiJsonl(p.jsonl);
  if (command === 'canvas.a2ui.push' && Array.isArray(p.messages)) {
    return checkAll(p.messages.map((m, i) => ({ line: i + 1, parse: () => m })));
  }
  const expected = command === 'canvas.a2ui.push' ? '{jsonl} or {messages[]}' : '{jsonl}';
  return { reason: `params must be ${expected}`, line: 0 };
}

/** The `res` error of a refused A2UI push (the node never sees the request). */
export function a2uiRefusal(problem: A2uiProblem): ErrorShape {
  return {
    code: 'INVALID_REQUEST',
    message: `INVALID_A2UI_JSONL: ${problem.reason}`,
    details: { code: 'INVALID_A2UI_JSONL', line: problem.line },
  };
}
