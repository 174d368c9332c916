// The server-side subscriptions a client holds (`sessions.subscribe`, `sessions.messages.subscribe {key}`):
// remembered from successful requests so that a reconnect can send them again (K5). Event listeners live on
// the client, not on a socket, so they are never registered twice and no event is delivered twice.

/** The subscriptions to re-send after a reconnect, in the order they were made. */
export class Subscriptions {
  private readonly byKey = new Map<string, [method: string, params: unknown]>();

  /** Notes a successful request: a subscribe is kept, an unsubscribe forgets its subscribe. */
  record(method: string, params: unknown): void {
    const p = (params ?? {}) as { key?: unknown; agentId?: unknown };
    const messagesKey = `messages\u0000${String(p.key)}\u0000${String(p.agentId ?? '')}`;
    if (method === 'sessions.subscribe') this.byKey.set('sessions', [method, params ?? {}]);
    else if (method === 'sessions.unsubscribe') this.byKey.delete('sessions');
    else if (method === 'sessions.messages.subscribe') this.byKey.set(messagesKey, [method, params]);
    else if (method === 'sessions.messages.unsubscribe') this.byKey.delete(messagesKey);
  }

  /** `[method, params]` of every live subscription. */
  all(): [string, unknown][] {
    return [...this.byKey.values()];
  }
}
