// At most `perSecond` renders a second, batched with requestAnimationFrame (web-surfaces.md I5): any number of
// frames between two renders cost one render. While paused, requests are only remembered.

/** The scheduler of the page's renders. */
export interface RenderLoop {
  /** Something changed: render at the next allowed frame. */
  request(): void;
  /** Stops or resumes rendering (resuming renders once if anything changed meanwhile). */
  setPaused(paused: boolean): void;
  readonly paused: boolean;
}

/** A render loop calling `render` at most `perSecond` times a second. */
export function renderLoop(render: () => void, perSecond = 10): RenderLoop {
  const minGap = 1000 / perSecond;
  let last = -Infinity;
  let dirty = false;
  let scheduled = false;
  let paused = false;
  const frame = (t: number) => {
    scheduled = false;
    if (paused || !dirty) return;
    if (t - last < minGap) {
      scheduled = true;
      setTimeout(() => requestAnimationFrame(frame), minGap - (t - last));
      return;
    }
    last = t;
    dirty = false;
    render();
  };
  const schedule = () => {
    if (scheduled || paused) return;
    scheduled = true;
    requestAnimationFrame(frame);
  };
  return {
    request() {
      dirty = true;
      schedule();
    },
    setPaused(p) {
      paused = p;
      if (!p && dirty) schedule();
    },
    get paused() {
      return paused;
    },
  };
}
