import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { rawExchange, requestHead, writeAll, parseJsonBody } from '../helpers/raw-http.js';
import { sleep } from '../helpers/wait.js';

// Slow request bodies and HTTP/1.0, the cases uWS's own 10 s HTTP idle timeout used to decide: a body that
// keeps trickling is read to the end, one that stalls gets the `--body-timeout-ms` answer (400), never a
// silent drop. uWS (the pinned build) does not parse HTTP/1.0 at all: that outcome is pinned here.
// These tests take real seconds (uWS's timeout is in whole seconds), so they run concurrently.

const P = '/v1/gateway';
/** Longer than uWS's HTTP idle timeout (10 s, fired 8–12 s after it is armed: 4 s granularity). */
const PAST_UWS_IDLE_MS = 14_000;
const BOUND_MS = 40_000;

let a: TestGateway; // default --body-timeout-ms (30 s)
let stall: TestGateway; // --body-timeout-ms past uWS's idle timeout

before(async () => {
  [a, stall] = await Promise.all([startTestGateway(), startTestGateway({ bodyTimeoutMs: PAST_UWS_IDLE_MS })]);
});

after(async () => {
  await Promise.all([a, stall].map((g) => g?.close()));
});

/** Sends `text` on a fresh connection and collects every byte until the server closes it (bounded). */
function sendAndCollect(port: number, text: string, timeoutMs: number): Promise<{ bytes: Buffer; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ bytes: Buffer.concat(got), closedByServer: false });
    }, timeoutMs);
    sock.on('data', (d) => got.push(d));
    sock.on('error', () => { /* a reset is a close */ });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes: Buffer.concat(got), closedByServer: true });
    });
    sock.on('connect', () => sock.write(text));
  });
}

describe('slow bodies and HTTP/1.0', { concurrency: true }, () => {
  test('a body trickling one piece every 2 s for 14 s gets a normal answer (default 30 s body timeout)', async () => {
    const body = Buffer.from(JSON.stringify({ from: 'slow', text: 'trickled' }));
    const pieces = 8;
    const size = Math.ceil(body.length / pieces);
    const r = await rawExchange(a.port, {
      timeoutMs: BOUND_MS,
      write: async (sock) => {
        await writeAll(sock, requestHead('POST', `${P}/messages`, { 'Content-Length': body.length }));
        for (let i = 0; i < pieces; i++) {
          if (i > 0) await sleep(2_000);
          if (!(await writeAll(sock, body.subarray(i * size, (i + 1) * size)))) return;
        }
      },
    });
    assert.equal(r.status, 200, r.body.toString('utf8'));
    assert.equal(parseJsonBody(r).reply, 'Echo: trickled');
  });

  test('a body that stalls past --body-timeout-ms (longer than uWS idle) gets 400 read request body, not a silent drop', async () => {
    const expected = { error: { type: 'invalid_request', message: `read request body: no complete body within ${PAST_UWS_IDLE_MS} ms` } };
    const [partial, nothing] = await Promise.all([
      // 10 of 100 bytes, then nothing
      rawExchange(stall.port, {
        timeoutMs: BOUND_MS,
        write: (sock) => { sock.write(`${requestHead('POST', `${P}/messages`, { 'Content-Length': 100 })}{"from":"a`); },
      }),
      // the head, then not a single body byte
      rawExchange(stall.port, {
        timeoutMs: BOUND_MS,
        write: (sock) => { sock.write(requestHead('POST', `${P}/messages`, { 'Content-Length': 100 })); },
      }),
    ]);
    for (const r of [partial, nothing]) {
      assert.equal(r.status, 400, r.body.toString('utf8'));
      assert.equal(r.headers['content-type'], 'application/json');
      assert.deepEqual(parseJsonBody(r), expected);
    }
  });

  test('HTTP/1.0 is never answered (uWS does not parse it; the connection is closed without a byte); the same as HTTP/1.1 is', async () => {
    const health10 = 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n';
    const body = JSON.stringify({ from: 'proxy', text: 'one-oh' });
    const post10 = `POST ${P}/messages HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const [h10, p10, h11, p11] = await Promise.all([
      sendAndCollect(a.port, health10, BOUND_MS),
      sendAndCollect(a.port, post10, BOUND_MS),
      sendAndCollect(a.port, health10.replace('HTTP/1.0', 'HTTP/1.1'), BOUND_MS),
      sendAndCollect(a.port, post10.replace('HTTP/1.0', 'HTTP/1.1').replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'), BOUND_MS),
    ]);
    for (const r of [h10, p10]) {
      assert.equal(r.bytes.length, 0, `HTTP/1.0 got ${JSON.stringify(r.bytes.toString('latin1'))}`);
      assert.ok(r.closedByServer, 'uWS closes an HTTP/1.0 connection at its idle timeout');
    }
    assert.match(h11.bytes.toString('latin1'), /^HTTP\/1\.1 200 /);
    assert.match(p11.bytes.toString('latin1'), /^HTTP\/1\.1 200 [\s\S]*"reply":"Echo: one-oh"/);
  });
});
