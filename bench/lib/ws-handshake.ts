// One operator connection to the gateway's WS control plane, as a client does it: open, wait for the
// `connect.challenge` event, send `connect` (gateway-client/backend, operator.read), wait for hello-ok.
import WebSocket from 'ws';

const CONNECT_PARAMS = {
  minProtocol: 4, maxProtocol: 4,
  client: { id: 'gateway-client', version: '1', platform: 'linux', mode: 'backend' },
  role: 'operator', scopes: ['operator.read'],
};

/** What a failed handshake says, for counting by kind. */
export class HandshakeError extends Error {}

/**
 * Resolves with the open socket after hello-ok; rejects with a HandshakeError on refusal, close, error or
 * after `timeoutMs`. `onEvent` sees the frames after hello-ok (text length and the parsed frame).
 */
export function handshake(url: string, opts: { timeoutMs: number; localAddress?: string; onFrame?: (bytes: number) => void }): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, localAddress: opts.localAddress });
    let done = false;
    const fail = (why: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ws.terminate();
      reject(new HandshakeError(why));
    };
    const timer = setTimeout(() => fail('timeout'), opts.timeoutMs);
    ws.on('error', (err) => fail(`error ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    ws.on('unexpected-response', (_req, res) => fail(`http ${res.statusCode}`));
    ws.on('close', (code) => fail(`closed ${code}`));
    ws.on('message', (data) => {
      const text = (data as Buffer).toString('utf8');
      if (done) {
        opts.onFrame?.(text.length);
        return;
      }
      let m: { type?: string; event?: string; id?: string; ok?: boolean; error?: { code?: string } };
      try {
        m = JSON.parse(text);
      } catch {
        return fail('bad json');
      }
      if (m.type === 'event' && m.event === 'connect.challenge') {
        ws.send(JSON.stringify({ type: 'req', id: 'c1', method: 'connect', params: CONNECT_PARAMS }));
      } else if (m.type === 'res' && m.id === 'c1') {
        if (m.ok !== true) return fail(`refused ${m.error?.code ?? '?'}`);
        done = true;
        clearTimeout(timer);
        ws.removeAllListeners('close');
        resolve(ws);
      }
    });
  });
}

/** Closes a socket (normal closure) and resolves when it is closed, or terminates it after `graceMs`. */
export function closeSocket(ws: WebSocket, graceMs = 2000): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      ws.terminate();
      resolve();
    }, graceMs);
    ws.once('close', () => {
      clearTimeout(t);
      resolve();
    });
    ws.close(1000);
  });
}
