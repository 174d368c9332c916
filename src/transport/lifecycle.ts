import type { Logger } from '../core/log.js';

// Hooks a surface registers instead of being wired by hand around the server's start and stop: `onListen`
// runs once the port is bound (with the actual port: an ephemeral one is known only then), `onClose` once
// the server has stopped listening and closed its sockets. Hooks run in registration order.

/** A hook run when the server listens. */
export type ListenHook = (port: number) => void | Promise<void>;
/** A hook run when the server has closed. */
export type CloseHook = () => void | Promise<void>;

/** The listen and close hooks of one server. */
export class Lifecycle {
  private readonly listenHooks: ListenHook[] = [];
  private readonly closeHooks: CloseHook[] = [];
  private state: 'new' | 'listening' | 'closed' = 'new';

  /** Runs `hook(port)` when the server listens. A hook that throws makes the start fail (the server closes). */
  onListen(hook: ListenHook): this {
    if (this.state !== 'new') throw new Error('onListen hooks are registered before the server listens');
    this.listenHooks.push(hook);
    return this;
  }

  /** Runs `hook()` when the server has closed. A hook that throws is logged; the others still run. */
  onClose(hook: CloseHook): this {
    if (this.state === 'closed') throw new Error('the server is already closed');
    this.closeHooks.push(hook);
    return this;
  }

  /** Called by the server once bound. */
  async listened(port: number): Promise<void> {
    this.state = 'listening';
    for (const hook of this.listenHooks) await hook(port);
  }

  /** Called by the server once closed; runs each close hook once. */
  async closed(log: Logger): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const hook of this.closeHooks) {
      try {
        await hook();
      } catch (err) {
        log.error({ err }, 'server close hook failed');
      }
    }
  }
}
