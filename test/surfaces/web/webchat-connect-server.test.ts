import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { resolveConfig } from '../../../src/config.js';
import { startGateway } from '../../../src/main.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { TOKEN } from '../../helpers/ws-client.js';

// The server side of WebChat's connection (web-surfaces.md W1, W8): the page's `clawgate-auth` meta carries the
// configured auth mode (never the secret) with an ETag of the bytes served; the `gateway ready` line names the
// WebChat URL.

const PAGE = '<!doctype html><meta name="clawgate-auth" content="none"><title>t</title>';

describe('the clawgate-auth meta (W1)', () => {
  let dir: string;
  const gateways: TestGateway[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'clawgate-webchat-auth-'));
    writeFileSync(join(dir, 'index.html'), PAGE);
  });
  after(async () => {
    for (const g of gateways) await g.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('with --token the page says token, without it none; never the secret; the ETag follows the bytes', async () => {
    const open = await startTestGateway({}, { webchatDir: dir });
    gateways.push(open);
    const locked = await startTestGateway({ token: TOKEN }, { webchatDir: dir });
    gateways.push(locked);
    const a = await fetch(`${open.url}/`);
    const b = await fetch(`${locked.url}/`);
    const [textA, textB] = [await a.text(), await b.text()];
    assert.match(textA, /<meta name="clawgate-auth" content="none">/);
    assert.match(textB, /<meta name="clawgate-auth" content="token">/);
    assert.ok(!textB.includes(TOKEN), 'the page never carries the secret');
    assert.notEqual(a.headers.get('etag'), b.headers.get('etag'), 'different bytes, different ETag');
    const again = await fetch(`${locked.url}/`, { headers: { 'If-None-Match': b.headers.get('etag') ?? '' } });
    assert.equal(again.status, 304);
  });

  test('the page files load under any Origin (a module script sends one), so an unlisted origin still gets the fix (W5); the API does not', async () => {
    const g = await startTestGateway({}, { webchatDir: dir });
    gateways.push(g);
    const headers = { Origin: 'http://lan.test:9', 'Sec-Fetch-Site': 'cross-site' };
    assert.equal((await fetch(`${g.url}/`, { headers })).status, 200);
    const api = await fetch(`${g.url}/v1/gateway/messages`, { method: 'POST', headers, body: '{}' });
    assert.equal(api.status, 403, 'the data plane keeps its Origin rule');
    await api.arrayBuffer();
  });
});

test('the gateway ready line names the WebChat URL, without the secret (W8)', async () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-banner-'));
  const gw = await startGateway({ ...resolveConfig({}), port: 0, stateDir, token: TOKEN, shutdownGraceMs: 0 }, pino({ level: 'info' }, sink));
  try {
    const ready = lines.find((l) => l.msg === 'gateway ready');
    assert.equal(ready?.webchat, `http://127.0.0.1:${gw.port}/`);
    assert.ok(!JSON.stringify(lines).includes(TOKEN), 'no log line carries the secret');
  } finally {
    await gw.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
