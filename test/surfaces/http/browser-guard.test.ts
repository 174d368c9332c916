import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { countingRunner, P } from '../../helpers/http-plane.js';
import { openRaw, refusedUpgrade, wsUrl } from '../../helpers/ws-raw.js';

// Issue 6 item 3: a web page the owner visits must not drive the gateway. Foreign Origin and
// `Sec-Fetch-Site: cross-site` are refused on every path; a Host the gateway does not answer to (DNS
// rebinding) is refused everywhere but the health routes; plain clients (no Origin) work unchanged.

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  json: any;
}

/** One request over node:http, so the Host header can be set like a rebinding browser would. */
function request(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, method, path, agent: false,
      headers: { ...(body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(body)) }), ...headers },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text ? JSON.parse(text) : undefined }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: no answer`)));
    req.on('error', reject);
    req.end(body);
  });
}

const message = (user: string) => JSON.stringify({ from: user, text: 'run the tools' });

function assertForbidden(a: Answer, flag: '--allowed-origins' | '--allowed-hosts', what: string): void {
  assert.equal(a.status, 403, `${what}: status; body ${JSON.stringify(a.json)}`);
  assert.equal(a.json?.error?.type, 'forbidden', what);
  assert.ok(String(a.json.error.message).includes(flag), `${what}: the message names ${flag}: ${a.json.error.message}`);
}

describe('HTTP data plane: Origin, Sec-Fetch-Site and Host', () => {
  let g: TestGateway;
  const counter = countingRunner();
  before(async () => {
    g = await startTestGateway({ allowedOrigins: ['https://app.example'] }, { runner: counter.runner });
  });
  after(() => g?.close());

  test('a cross-origin text/plain POST to /messages (what any web page can send) → 403, and nothing runs', async () => {
    const before = counter.calls.length;
    for (const path of [`${P}/messages`, `${P}/messages:stream`]) {
      const a = await request(g.port, 'POST', path, { Origin: 'http://evil.example', 'Content-Type': 'text/plain' }, message('victim'));
      assertForbidden(a, '--allowed-origins', path);
    }
    for (const origin of ['null', 'http://localhost:5173', `http://127.0.0.1:${g.port + 1}`, 'https://app.example:8443']) {
      const a = await request(g.port, 'POST', `${P}/messages`, { Origin: origin, 'Content-Type': 'text/plain' }, message('victim'));
      assertForbidden(a, '--allowed-origins', origin);
    }
    assert.equal(counter.calls.length, before, 'no run was started');
  });

  test('Sec-Fetch-Site: cross-site (no-cors GET, form POST) → 403 on every path, health included', async () => {
    const before = counter.calls.length;
    const cross = { 'Sec-Fetch-Site': 'cross-site' };
    assertForbidden(await request(g.port, 'POST', `${P}/messages`, cross, message('victim')), '--allowed-origins', 'POST');
    assertForbidden(await request(g.port, 'GET', `${P}/status?request_id=x`, cross), '--allowed-origins', 'GET status');
    assertForbidden(await request(g.port, 'GET', '/healthz', { Origin: 'http://evil.example' }), '--allowed-origins', 'healthz');
    assert.equal(counter.calls.length, before);
    // same-origin / user-initiated fetch metadata is fine
    for (const site of ['same-origin', 'none']) {
      const a = await request(g.port, 'POST', `${P}/messages`, { 'Sec-Fetch-Site': site }, message(`site-${site}`));
      assert.equal(a.status, 200, site);
    }
  });

  test('a DNS-rebinding Host (evil.example, with or without port) → 403 naming --allowed-hosts; health routes stay open', async () => {
    const before = counter.calls.length;
    for (const host of ['evil.example', `evil.example:${g.port}`, '10.1.2.3', `[fd00::1]:${g.port}`, 'localhost.evil.example']) {
      assertForbidden(await request(g.port, 'POST', `${P}/messages`, { Host: host }, message('victim')), '--allowed-hosts', host);
      assertForbidden(await request(g.port, 'GET', `${P}/status?request_id=x`, { Host: host }), '--allowed-hosts', host);
    }
    assert.equal(counter.calls.length, before);
    // liveness probes address the pod IP: the health routes answer whatever the Host
    for (const path of ['/healthz', '/health', '/readyz', '/ready']) {
      const a = await request(g.port, 'GET', path, { Host: '10.1.2.3:8080' });
      assert.ok(a.status === 200 || a.status === 503, `${path}: ${a.status}`);
    }
  });

  test('loopback names and addresses are Hosts the gateway answers to, with or without port', async () => {
    for (const host of ['localhost', `localhost:${g.port}`, 'LOCALHOST.', `127.0.0.1:${g.port}`, '127.3.2.1', `[::1]:${g.port}`, '[::1]']) {
      const a = await request(g.port, 'POST', `${P}/messages`, { Host: host }, message('loopback-host'));
      assert.equal(a.status, 200, `${host}: ${JSON.stringify(a.json)}`);
    }
  });

  test('curl-like clients (no Origin) keep working; an allowed or own Origin passes, even cross-site', async () => {
    const plain = await request(g.port, 'POST', `${P}/messages`, { 'Content-Type': 'application/json' }, message('curl'));
    assert.equal(plain.status, 200);
    assert.equal(plain.json.reply, 'Echo: run the tools');
    const fetched = await fetch(`${g.url}${P}/messages`, { method: 'POST', body: message('fetch') });
    assert.equal(fetched.status, 200);
    for (const origin of ['https://app.example', `http://127.0.0.1:${g.port}`, `http://localhost:${g.port}`]) {
      const a = await request(g.port, 'POST', `${P}/messages`, { Origin: origin, 'Sec-Fetch-Site': origin.startsWith('https') ? 'cross-site' : 'same-origin' }, message('browser'));
      assert.equal(a.status, 200, `${origin}: ${JSON.stringify(a.json)}`);
      assert.equal(a.headers['access-control-allow-origin'], undefined, 'still no CORS');
    }
  });

  test('the WS upgrade applies the same Host rule (rebinding) and keeps the Origin rule', async () => {
    const host = await refusedUpgrade(wsUrl(g.port), { headers: { Host: 'evil.example' } });
    assert.equal(host.status, 403);
    assert.match(JSON.parse(host.body).error.message, /--allowed-hosts/);
    const origin = await refusedUpgrade(wsUrl(g.port), { headers: { Origin: 'http://evil.example' } });
    assert.equal(origin.status, 403);
    assert.match(JSON.parse(origin.body).error.message, /--allowed-origins/);
    const ok = await openRaw(wsUrl(g.port), { headers: { Host: `localhost:${g.port}` } });
    await ok.close();
  });
});

describe('--allowed-hosts', () => {
  let g: TestGateway;
  before(async () => {
    g = await startTestGateway({ allowedHosts: ['evil.example', 'gateway.lan'] });
  });
  after(() => g?.close());

  test('a listed name is answered, with or without port, on both planes; others are still refused', async () => {
    for (const host of ['evil.example', `evil.example:${g.port}`, 'GATEWAY.LAN:443']) {
      const a = await request(g.port, 'POST', `${P}/messages`, { Host: host }, message('lan'));
      assert.equal(a.status, 200, `${host}: ${JSON.stringify(a.json)}`);
    }
    assertForbidden(await request(g.port, 'POST', `${P}/messages`, { Host: 'other.example' }, message('lan')), '--allowed-hosts', 'other');
    const ws = await openRaw(wsUrl(g.port), { headers: { Host: 'gateway.lan' } });
    await ws.close();
  });
});
