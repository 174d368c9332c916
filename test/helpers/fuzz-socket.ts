import WebSocket from 'ws';

// One raw WebSocket for the fuzz test: every inbound frame is kept (parsed, or as text), and every wait is
// bounded. `answer()` is the question the fuzz asks after each frame: did the `res` come, or only a close?

export const ANSWER_MS = 10_000;

export type Answer = { kind: 'res'; frame: Record<string, any> } | { kind: 'closed'; code: number; reason: string };

export class FuzzSocket {
  readonly frames: Record<string, any>[] = [];
  close?: { code: number; reason: string };
  private wakers: (() => void)[] = [];

  private constructor(readonly ws: WebSocket, readonly label: string) {
    ws.on('message', (data) => {
      const text = data.toString();
      try {
        this.frames.push(JSON.parse(text));
      } catch {
        this.frames.push({ type: '<raw>', text });
      }
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.close ??= { code, reason: reason.toString() };
      this.wake();
    });
    ws.on('open', () => this.wake());
    ws.on('unexpected-response', (_req, res) => {
      this.close ??= { code: -res.statusCode!, reason: `upgrade refused: HTTP ${res.statusCode}` };
      ws.terminate();
      this.wake();
    });
    ws.on('error', () => { /* seen as the close */ });
  }

  /** Open a socket and take its `connect.challenge`. */
  static async open(port: number, label: string): Promise<FuzzSocket> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    const s = new FuzzSocket(ws, label);
    await s.until(() => (ws.readyState === WebSocket.OPEN ? true : s.close ? false : undefined), 'the upgrade').then((opened) => {
      if (!opened) throw new Error(`${label}: ${s.close!.reason}`);
    });
    await s.until(() => s.frames.find((f) => f.type === 'event' && f.event === 'connect.challenge'), 'connect.challenge');
    return s;
  }

  get challenge(): { nonce: string; ts: number } {
    return this.frames.find((f) => f.type === 'event' && f.event === 'connect.challenge')!.payload;
  }

  send(text: string): number {
    const from = this.frames.length;
    this.ws.send(text);
    return from;
  }

  /** The first `res` with this id received from index `from` on, or the close if the socket closes first. */
  answer(from: number, id: string): Promise<Answer> {
    return this.until(() => {
      for (let i = from; i < this.frames.length; i++) {
        const f = this.frames[i];
        if (f.type === 'res' && f.id === id) return { kind: 'res', frame: f };
      }
      return this.close ? { kind: 'closed', ...this.close } : undefined;
    }, `res ${id}`);
  }

  /** Resolves once the server closed the socket. */
  closed(): Promise<{ code: number; reason: string }> {
    return this.until(() => this.close, 'the close');
  }

  async end(): Promise<void> {
    if (this.close) return;
    this.ws.close(1000);
    await this.closed().catch(() => this.ws.terminate());
  }

  private until<T>(check: () => T | undefined, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.label}: no ${what} within ${ANSWER_MS} ms (silence)`)), ANSWER_MS);
      const attempt = () => {
        const v = check();
        if (v === undefined) return void this.wakers.push(attempt);
        clearTimeout(timer);
        resolve(v);
      };
      attempt();
    });
  }

  private wake(): void {
    const w = this.wakers;
    this.wakers = [];
    for (const f of w) f();
  }
}
