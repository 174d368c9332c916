// What a reply bubble shows for each `chat` event of its run (web-surfaces W6): pure, so the table is easy to read.
import type { GatewayEvents } from '../../../src/client/index.ts';

/** A `chat` event as the client delivers it. */
export type ChatEvent = GatewayEvents['chat'];

/** The visible state of one bubble: its text and the mark under it ("working…", "stopped", "failed", …). */
export interface BubbleText {
  text: string;
  mark: string;
}

/** The mark of a reply that is still being written. */
export const WORKING = 'working…';

/** The text of a transcript message `{role, content:[{type:"text", text}]}` (or a plain string); undefined if none. */
export function messageText(message: unknown): string | undefined {
  if (typeof message === 'string') return message;
  const content = (message as { content?: unknown } | null | undefined)?.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  return content.map((part) => {
    const p = part as { type?: unknown; text?: unknown } | null;
    return p && p.type === 'text' && typeof p.text === 'string' ? p.text : '';
  }).join('');
}

/**
 * The reply bubble after `event`: `status` shows "working…"; `delta` the cumulative `message` (else the
 * previous text plus `deltaText`); `final` the final text; `aborted` keeps the partial text, marked "stopped";
 * `error` shows `errorMessage`, marked "failed".
 */
export function applyChatEvent(prev: BubbleText, event: ChatEvent): BubbleText {
  switch (event.state) {
    case 'status':
      return { text: prev.text, mark: WORKING };
    case 'delta': {
      const whole = messageText(event.message);
      if (whole !== undefined) return { text: whole, mark: '' };
      return { text: event.replace ? event.deltaText : prev.text + event.deltaText, mark: '' };
    }
    case 'final':
      return { text: messageText(event.message) ?? prev.text, mark: '' };
    case 'aborted':
      return { text: messageText(event.message) ?? prev.text, mark: 'stopped' };
    case 'error':
      return { text: event.errorMessage ?? prev.text, mark: 'failed' };
    default:
      return prev;
  }
}

/** Whether `event` ends its run. */
export function isTerminal(event: ChatEvent): boolean {
  return event.state === 'final' || event.state === 'aborted' || event.state === 'error';
}
