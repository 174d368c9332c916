// The transcript of the open session (web-surfaces W6): one bubble per message, keyed by its transcript
// idempotency key (`<runId>:user` for the user message, `<runId>` for the reply). A key already shown is updated,
// never added twice, so a history reload, a live event and a local send of the same message meet in one bubble.
// Text goes in with textContent only (S11); the list scrolls by itself only while the reader is at the bottom.
import type { BubbleText } from './reply-states.ts';

/** Who wrote a bubble. */
export type BubbleRole = 'user' | 'assistant' | 'system';

interface Bubble {
  role: BubbleRole;
  state: BubbleText;
  item: HTMLLIElement;
  text: HTMLElement;
  mark: HTMLElement;
  action: HTMLButtonElement | undefined;
}

/** The reply key of a user key (`<runId>:user` → `<runId>`), or undefined for any other key. */
export function replyKeyOf(key: string): string | undefined {
  return key.endsWith(':user') ? key.slice(0, -':user'.length) : undefined;
}

/** The transcript list and its bubbles. */
export class TranscriptView {
  /** The `<ol>`: a polite live region (S12). */
  readonly element: HTMLOListElement;
  private readonly bubbles = new Map<string, Bubble>();

  constructor() {
    this.element = document.createElement('ol');
    this.element.className = 'transcript';
    this.element.setAttribute('aria-label', 'Transcript');
    this.element.setAttribute('aria-live', 'polite');
  }

  /** The state of bubble `key`, if shown. */
  get(key: string): BubbleText | undefined {
    return this.bubbles.get(key)?.state;
  }

  /** Shows `state` in bubble `key`, creating it (at the end, or before its reply for a user key) if new. */
  upsert(key: string, role: BubbleRole, state: BubbleText): void {
    this.keepingScroll(() => {
      let b = this.bubbles.get(key);
      if (!b) {
        b = this.create(key, role);
        const reply = replyKeyOf(key);
        const before = reply === undefined ? undefined : this.bubbles.get(reply)?.item;
        this.element.insertBefore(b.item, before ?? null);
        this.bubbles.set(key, b);
      }
      b.state = state;
      if (b.text.textContent !== state.text) b.text.textContent = state.text;
      if (b.mark.textContent !== state.mark) b.mark.textContent = state.mark;
      b.mark.hidden = state.mark === '';
    });
  }

  /** Puts a button (e.g. "Retry") on bubble `key`, or removes it (`undefined`). */
  setAction(key: string, action: { label: string; run(): void } | undefined): void {
    const b = this.bubbles.get(key);
    if (!b) return;
    b.action?.remove();
    b.action = undefined;
    if (!action) return;
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = action.label;
    button.addEventListener('click', () => action.run());
    b.item.append(button);
    b.action = button;
  }

  /** Orders the bubbles: `keys` first, in this order, then every other bubble as it was. */
  order(keys: readonly string[]): void {
    const first = keys.flatMap((k) => this.bubbles.get(k)?.item ?? []);
    const firstSet = new Set(first);
    const rest = Array.from(this.element.children).filter((el) => !firstSet.has(el as HTMLLIElement));
    const wanted = [...first, ...rest];
    // moves only what is out of place, so a reload that changes nothing touches nothing
    wanted.forEach((item, i) => {
      if (this.element.children[i] !== item) this.element.insertBefore(item, this.element.children[i] ?? null);
    });
  }

  /** Removes every bubble (another session was opened). */
  clear(): void {
    this.bubbles.clear();
    this.element.replaceChildren();
  }

  private create(key: string, role: BubbleRole): Bubble {
    const item = document.createElement('li');
    item.className = `bubble ${role}`;
    item.dataset.key = key;
    item.dataset.role = role;
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = role === 'user' ? 'You' : role === 'assistant' ? 'Assistant' : 'System';
    const text = document.createElement('p');
    text.className = 'text';
    const mark = document.createElement('p');
    mark.className = 'mark';
    item.append(who, text, mark);
    return { role, state: { text: '', mark: '' }, item, text, mark, action: undefined };
  }

  /** Runs `change`; if the reader was at the bottom, scrolls back to it. */
  private keepingScroll(change: () => void): void {
    const el = this.element;
    const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
    change();
    if (atBottom) el.scrollTop = el.scrollHeight;
  }
}
