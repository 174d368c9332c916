// The page's notices (web-surfaces W2, W4, W5): a few standing lines, each replaced or removed by its name, so a
// new problem never stacks under a stale one. Text only (S11).

/** Named lines inside one container. */
export interface NoticeBoard {
  /** Shows `text` as the notice `name` (replacing it), or removes it when `text` is undefined. */
  set(name: string, text: string | undefined): void;
  /** The text of notice `name`, if shown. */
  get(name: string): string | undefined;
}

/** The notices inside `container`. */
export function noticeBoard(container: HTMLElement): NoticeBoard {
  const lines = new Map<string, HTMLElement>();
  return {
    set(name, text) {
      let line = lines.get(name);
      if (text === undefined) {
        line?.remove();
        lines.delete(name);
        return;
      }
      if (!line) {
        line = document.createElement('p');
        line.dataset.notice = name;
        container.append(line);
        lines.set(name, line);
      }
      line.textContent = text;
    },
    get: (name) => lines.get(name)?.textContent ?? undefined,
  };
}
