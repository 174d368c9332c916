import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { ConfigError, resolveConfig } from '../../src/config.js';
import { startGateway, type Gateway } from '../../src/main.js';
import { connectParams, connectRaw, TOKEN } from '../helpers/ws-raw.js';

// TLS: --tls-cert / --tls-key serve HTTPS and WSS on the one port, with a self-signed certificate made here.

/** A fresh self-signed P-256 certificate for localhost / 127.0.0.1 (openssl), in `dir`. */
function selfSigned(dir: string, name: string): { certFile: string; keyFile: string; pem: string } {
  const certFile = join(dir, `${name}.crt.pem`);
  const keyFile = join(dir, `${name}.key.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  return { certFile, keyFile, pem: readFileSync(certFile, 'utf8') };
}

/** GET over HTTPS trusting only `ca`; the status and body. */
function httpsGet(port: number, path: string, ca: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca, servername: 'localhost', headers, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('https request timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('TLS (--tls-cert, --tls-key)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-tls-'));
  const cert = selfSigned(dir, 'gw');
  const logLines: Record<string, any>[] = [];
  let gw: Gateway;

  before(async () => {
    const config = resolveConfig({ 'tls-cert': cert.certFile, 'tls-key': cert.keyFile, token: TOKEN, port: 0, 'state-dir': join(dir, 'state') });
    const log = pino({ level: 'info' }, { write: (line: string) => { logLines.push(JSON.parse(line)); } });
    gw = await startGateway(config, log);
  });
  after(async () => {
    await gw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers /healthz over HTTPS', async () => {
    const res = await httpsGet(gw.port, '/healthz', cert.pem);
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { status: 'ok' });
  });

  it('completes a WSS handshake (hello-ok)', async () => {
    const { c, res } = await connectRaw(`wss://localhost:${gw.port}/`, connectParams({ scopes: ['operator.read'], auth: { token: TOKEN } }), { ca: cert.pem });
    try {
      assert.equal(res.ok, true, JSON.stringify(res.error));
      assert.equal(res.payload.type, 'hello-ok');
    } finally {
      await c.close();
    }
  });

  it('logs the certificate SHA-256 fingerprint at start', () => {
    const want = new X509Certificate(cert.pem).fingerprint256;
    assert.ok(logLines.some((l) => l.fingerprint256 === want), `no log line with fingerprint256 ${want}`);
  });

  it('takes https://, not http://, as its own origin', async () => {
    assert.equal((await httpsGet(gw.port, '/healthz', cert.pem, { origin: `https://127.0.0.1:${gw.port}` })).status, 200);
    assert.equal((await httpsGet(gw.port, '/healthz', cert.pem, { origin: `http://127.0.0.1:${gw.port}` })).status, 403);
  });
});

describe('TLS configuration errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-tls-cfg-'));
  const a = selfSigned(dir, 'a');
  const b = selfSigned(dir, 'b');
  after(() => rmSync(dir, { recursive: true, force: true }));

  const refused = (raw: Parameters<typeof resolveConfig>[0], pattern: RegExp) =>
    assert.throws(() => resolveConfig(raw), (err: unknown) => err instanceof ConfigError && pattern.test(err.message));

  it('wants both files or neither', () => {
    refused({ 'tls-cert': a.certFile }, /--tls-cert and --tls-key go together/);
    refused({ 'tls-key': a.keyFile }, /--tls-cert and --tls-key go together/);
    assert.equal(resolveConfig({}).tls, undefined);
  });

  it('names a file that cannot be read', () => {
    const missing = join(dir, 'missing.pem');
    refused({ 'tls-cert': missing, 'tls-key': a.keyFile }, new RegExp(`certificate file ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOENT`));
    refused({ 'tls-cert': a.certFile, 'tls-key': missing }, /key file .*missing\.pem: ENOENT/);
  });

  it('names a file that is not PEM, and a key that is not the certificate\'s', () => {
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate\n');
    refused({ 'tls-cert': junk, 'tls-key': a.keyFile }, /certificate file .*junk\.pem is not a PEM certificate/);
    refused({ 'tls-cert': a.certFile, 'tls-key': junk }, /key file .*junk\.pem is not an unencrypted PEM private key/);
    refused({ 'tls-cert': a.certFile, 'tls-key': b.keyFile }, /key file .*b\.key\.pem does not belong to the certificate/);
  });
});
