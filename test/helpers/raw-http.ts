import { connect, type Socket } from 'node:net';

// Raw HTTP/1.1 over a TCP socket, for the cases fetch hides: chunked or partial request bodies, HEAD,
// a server that answers before the body is sent. Every wait is bounded.

export interface RawResponse {
  status: number;
  /** Lower-case header name → value (repeated headers joined with ", "). */
  headers: Record<string, string>;
  /** Header names in the order received, lower-case, with repeats. */
  headerNames: string[];
  body: Buffer;
  /** Whether the server closed the connection after the response. */
  closed: boolean;
}

export interface RawOptions {
  /** The request is a HEAD: the response has no body whatever its headers say. */
  head?: boolean;
  timeoutMs?: number;
  /** Called once connected, to write the request (all at once or piecemeal). */
  write: (sock: Socket) => void | Promise<void>;
}

/** Opens a connection to 127.0.0.1:port, lets `write` send the request, and parses one response. */
export function rawExchange(port: number, opts: RawOptions): Promise<RawResponse> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let settled = false;
    let parsed: { status: number; headers: Record<string, string>; headerNames: string[]; bodyStart: number } | undefined;
    const timer = setTimeout(() => finish(new Error(`no complete response within ${timeoutMs} ms; got ${JSON.stringify(buf.toString('latin1').slice(0, 300))}`)), timeoutMs);

    const finish = (err: Error | null, res?: RawResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(res!);
    };

    const tryComplete = (ended: boolean) => {
      if (!parsed) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) {
          if (ended) finish(new Error(`connection closed before a response head; got ${JSON.stringify(buf.toString('latin1'))}`));
          return;
        }
        const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
        if (!m) return finish(new Error(`bad status line: ${lines[0]}`));
        const headers: Record<string, string> = {};
        const headerNames: string[] = [];
        for (const line of lines.slice(1)) {
          const i = line.indexOf(':');
          const k = line.slice(0, i).trim().toLowerCase();
          const v = line.slice(i + 1).trim();
          headerNames.push(k);
          headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
        }
        parsed = { status: Number(m[1]), headers, headerNames, bodyStart: end + 4 };
      }
      const { status, headers, headerNames, bodyStart } = parsed;
      const rest = buf.subarray(bodyStart);
      const done = (body: Buffer) => finish(null, { status, headers, headerNames, body, closed: ended });
      if (opts.head || status === 204 || status === 304) return done(Buffer.alloc(0));
      if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) {
        const body = dechunk(rest);
        if (body) return done(body);
      } else if (headers['content-length'] !== undefined) {
        const n = Number(headers['content-length']);
        if (rest.length >= n) return done(rest.subarray(0, n));
      } else if (ended) {
        return done(rest);
      }
      if (ended) finish(new Error(`connection closed mid-body (status ${status})`));
    };

    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      tryComplete(false);
    });
    sock.on('end', () => tryComplete(true));
    sock.on('close', () => tryComplete(true));
    sock.on('error', (err) => {
      // A reset after the whole response arrived is fine; before, it is the answer.
      if (parsed || buf.length > 0) tryComplete(true);
      else finish(err);
    });
    sock.on('connect', () => {
      Promise.resolve(opts.write(sock)).catch(() => { /* the server may close early; the response decides */ });
    });
  });
}

/** Decodes a complete chunked body, or undefined while the terminating chunk has not arrived. */
function dechunk(data: Buffer): Buffer | undefined {
  const out: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', i);
    if (eol < 0) return undefined;
    const size = parseInt(data.subarray(i, eol).toString('latin1'), 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) return Buffer.concat(out);
    if (data.length < eol + 2 + size + 2) return undefined;
    out.push(data.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
}

/** A full request head (CRLF line ends, blank line at the end). */
export function requestHead(method: string, path: string, headers: Record<string, string | number> = {}): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Writes a buffer, waiting for drain; resolves false if the socket is gone. */
export function writeAll(sock: Socket, data: Buffer | string): Promise<boolean> {
  return new Promise((resolve) => {
    if (sock.destroyed || !sock.writable) return resolve(false);
    const ok = sock.write(data, (err) => { if (err) resolve(false); });
    if (ok) resolve(true);
    else {
      const onDrain = () => { sock.off('close', onClose); resolve(true); };
      const onClose = () => { sock.off('drain', onDrain); resolve(false); };
      sock.once('drain', onDrain);
      sock.once('close', onClose);
    }
  });
}

/** Sends `body` as chunks of at most `chunkSize` bytes in chunked transfer coding. */
export async function writeChunked(sock: Socket, body: Buffer, chunkSize: number, terminate = true): Promise<boolean> {
  for (let off = 0; off < body.length; off += chunkSize) {
    const piece = body.subarray(off, off + chunkSize);
    if (!(await writeAll(sock, Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')])))) return false;
  }
  return terminate ? writeAll(sock, '0\r\n\r\n') : true;
}

export function parseJsonBody(res: RawResponse): any {
  return JSON.parse(res.body.toString('utf8'));
}
