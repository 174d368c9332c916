import type { ChatCompletionContentPart } from 'openai/resources/chat/completions';
import type { ChatMessage } from './chat-model.js';
import type { InputPart, RunInput } from '../core/run.js';

// The first request of a run: system prompt, the session's earlier turns, the late context next to the
// latest turn, then the user's message (text plus parts the chat format can carry).

/** The chat messages of a run's first model request: system prompt, history, late context, user message. */
export function buildMessages(input: RunInput): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (input.systemPrompt) messages.push({ role: 'system', content: input.systemPrompt });
  for (const turn of input.history ?? []) {
    if (turn.content === '') continue;
    messages.push(turn.role === 'user' ? { role: 'user', content: turn.content } : { role: 'assistant', content: turn.content });
  }
  if (input.lateContext) messages.push({ role: 'user', content: input.lateContext });
  messages.push({ role: 'user', content: userContent(input) });
  return messages;
}

function userContent(input: RunInput): string | ChatCompletionContentPart[] {
  const parts = input.parts.map(toContentPart);
  if (parts.length === 0) return input.text;
  return input.text ? [{ type: 'text', text: input.text }, ...parts] : parts;
}

const DETAILS = new Set(['auto', 'low', 'high']);
const base64 = (data: Uint8Array) => Buffer.from(data).toString('base64');

function toContentPart(part: InputPart): ChatCompletionContentPart {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image': {
      const url = part.data ? `data:image/${part.format || 'png'};base64,${base64(part.data)}` : part.url ?? '';
      const detail = DETAILS.has(part.detail) ? (part.detail as 'auto' | 'low' | 'high') : undefined;
      return { type: 'image_url', image_url: { url, ...(detail ? { detail } : {}) } };
    }
    case 'audio':
      // the chat format only carries wav and mp3 inline; anything else is named so the model knows it was sent
      if (part.format === 'wav' || part.format === 'mp3') return { type: 'input_audio', input_audio: { data: base64(part.data), format: part.format } };
      return { type: 'text', text: `[audio attachment (${part.format}) not supported by this model]` };
    case 'file':
      if (part.data) {
        const mime = part.mime || 'application/octet-stream';
        return { type: 'file', file: { file_data: `data:${mime};base64,${base64(part.data)}`, ...(part.filename ? { filename: part.filename } : {}) } };
      }
      if (part.fileId) return { type: 'file', file: { file_id: part.fileId } };
      return { type: 'text', text: `[file attachment${part.filename ? ` ${part.filename}` : ''}: ${part.url ?? 'no content'}]` };
  }
}
