import { toQueueMode, WIRE_QUEUE_MODES, type QueueMode } from '../../core/queue-mode.js';
import { badRequest } from '../../core/errors.js';

// The wire type `MessageRequest` (http-gateway.md §2.1): snake_case, every field optional, unknown keys
// ignored, `null` treated as absent, wrong types refused as `decode json: …`.

/** The body of a message request (http-gateway.md §2.1). */
export interface MessageRequest {
  channel?: string;
  from?: string;
  to?: string;
  thread?: string;
  message_id?: string;
  text?: string;
  content_parts?: Record<string, unknown>[];
  request_system_prompt?: string;
  request_late_context_prompt?: string;
  user_id?: string;
  session_id?: string;
  request_id?: string;
  model?: string;
  extensions?: Record<string, unknown>;
  stream_options?: { progress_after_text_delta?: boolean };
  /** How to queue behind a running run of the session: followup, collect, interrupt (steer = followup). */
  queue_mode?: QueueMode;
}

const STRING_FIELDS = [
  'channel', 'from', 'to', 'thread', 'message_id', 'text', 'request_system_prompt',
  'request_late_context_prompt', 'user_id', 'session_id', 'request_id', 'model',
] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const kindOf = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
const wrongType = (field: string, v: unknown, want: string) =>
  badRequest(`decode json: cannot use ${kindOf(v)} as field "${field}" (want ${want})`);

/** Checks a decoded JSON body field by field; a wrong type is a 400 `decode json: …`. */
export function parseMessageRequest(value: unknown): MessageRequest {
  if (value === null) return {}; // a JSON null body is an empty request (→ missing text)
  if (!isObject(value)) throw badRequest(`decode json: cannot use ${kindOf(value)} as the request (want object)`);
  const out: MessageRequest = {};
  for (const field of STRING_FIELDS) {
    const v = value[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw wrongType(field, v, 'string');
    out[field] = v;
  }
  const parts = value.content_parts;
  if (parts !== undefined && parts !== null) {
    if (!Array.isArray(parts)) throw wrongType('content_parts', parts, 'array');
    parts.forEach((p, i) => {
      if (!isObject(p)) throw wrongType(`content_parts[${i}]`, p, 'object');
    });
    out.content_parts = parts as Record<string, unknown>[];
  }
  const ext = value.extensions;
  if (ext !== undefined && ext !== null) {
    if (!isObject(ext)) throw wrongType('extensions', ext, 'object');
    out.extensions = ext;
  }
  const so = value.stream_options;
  if (so !== undefined && so !== null) {
    if (!isObject(so)) throw wrongType('stream_options', so, 'object');
    const p = so.progress_after_text_delta;
    if (p !== undefined && p !== null && typeof p !== 'boolean') {
      throw wrongType('stream_options.progress_after_text_delta', p, 'boolean');
    }
    out.stream_options = { progress_after_text_delta: p === true };
  }
  const qm = value.queue_mode;
  if (qm !== undefined && qm !== null) {
    if (typeof qm !== 'string') throw wrongType('queue_mode', qm, 'string');
    const mode = toQueueMode(qm.trim());
    if (!mode) throw badRequest(`unknown queue_mode "${qm}" (want ${WIRE_QUEUE_MODES.join(', ')})`);
    out.queue_mode = mode;
  }
  return out;
}

/** The body of `POST /cancel`: `{"request_id"}`, decoded with the same rules as a MessageRequest. */
export function parseCancelRequest(value: unknown): { request_id?: string } {
  if (value === null) return {};
  if (!isObject(value)) throw badRequest(`decode json: cannot use ${kindOf(value)} as the request (want object)`);
  const v = value.request_id;
  if (v === undefined || v === null) return {};
  if (typeof v !== 'string') throw wrongType('request_id', v, 'string');
  return { request_id: v };
}

/** Session id rules of §4.1: `<channel>:thread:<thread>`, else `<channel>:dm:<from>`; no escaping. */
export function deriveSessionId(req: MessageRequest): string {
  const channel = req.channel?.trim() || 'http';
  const thread = req.thread?.trim() ?? '';
  if (thread !== '') return `${channel}:thread:${thread}`;
  const from = req.from?.trim() ?? '';
  if (from !== '') return `${channel}:dm:${from}`;
  throw badRequest('gateway: missing from for dm session id');
}
