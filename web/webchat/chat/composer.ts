// The message box (web-surfaces W6): "Send" or Enter sends, Shift+Enter adds a newline, blank text is not sent.
// A plain element, not a <form>: the CSP has `form-action 'none'`, and nothing here ever navigates.

/** The composer: its element and a way to put the focus back. */
export interface Composer {
  element: HTMLElement;
  focus(): void;
}

/** Builds the composer; `onSend` gets the text of each message (never blank). */
export function createComposer(onSend: (text: string) => void): Composer {
  const element = document.createElement('div');
  element.className = 'composer';
  const box = document.createElement('textarea');
  box.setAttribute('aria-label', 'Message');
  box.rows = 2;
  const send = document.createElement('button');
  send.type = 'button';
  send.textContent = 'Send';
  const submit = () => {
    const text = box.value;
    if (text.trim() === '') return;
    box.value = '';
    onSend(text);
  };
  send.addEventListener('click', submit);
  box.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter' || ev.shiftKey || ev.isComposing) return;
    ev.preventDefault();
    submit();
  });
  element.append(box, send);
  return { element, focus: () => box.focus() };
}
