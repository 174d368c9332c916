import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { assertBuilt, CliProcess, killAll, runCli, tempDir } from '../../helpers/cli.js';

// http-gateway.md §13 items 28–37 (Setups B, C, B+C; 37 through the real CLI) and 67–71 (content parts
// through the server). Real gateways on ephemeral ports, asserted from outside.

const P = '/v1/gateway';

let b: TestGateway; // B: allowlist u1
let c: TestGateway; // C: require mention, patterns @bot, /agent
let bc: TestGateway; // B+C
let nobody: TestGateway; // allowlist configured but empty
let a: TestGateway; // A: mock, no allowlist, no gating (content parts)
let aPriv: TestGateway; // A with private part URLs allowed: the positive control for the SSRF guard

/** A plain TCP listener that records every connection (and answers nothing). */
let trap: TcpServer;
let trapPort = 0;
let trapConnections = 0;

/** An HTTP server on loopback that serves a tiny wav and records what it saw. */
let media: HttpServer;
let mediaPort = 0;
const mediaRequests: { url: string; userAgent: string }[] = [];

before(async () => {
  [b, c, bc, nobody, a, aPriv] = await Promise.all([
    startTestGateway({ allowUsers: ['u1'] }),
    startTestGateway({ requireMention: true, mentionPatterns: ['@bot', '/agent'] }),
    startTestGateway({ allowUsers: ['u1'], requireMention: true, mentionPatterns: ['@bot', '/agent'] }),
    startTestGateway({ allowUsers: [] }),
    startTestGateway(),
    startTestGateway({ allowPrivatePartUrls: true }),
  ]);
  trap = createTcpServer((sock) => {
    trapConnections++;
    sock.destroy();
  });
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  trapPort = (trap.address() as AddressInfo).port;
  media = createHttpServer((req, res) => {
    mediaRequests.push({ url: req.url ?? '', userAgent: req.headers['user-agent'] ?? '' });
    res.writeHead(200, { 'Content-Type': 'audio/wav' });
    res.end(Buffer.from('RIFF\0\0\0\0WAVEfmt '));
  });
  await new Promise<void>((resolve) => media.listen(0, '127.0.0.1', resolve));
  mediaPort = (media.address() as AddressInfo).port;
});

after(async () => {
  await Promise.all([b, c, bc, nobody, a, aPriv].map((g) => g?.close()));
  await new Promise<void>((resolve) => (trap ? trap.close(() => resolve()) : resolve()));
  media?.closeAllConnections();
  await new Promise<void>((resolve) => (media ? media.close(() => resolve()) : resolve()));
  await killAll();
});

async function msg(g: TestGateway, body: unknown, path = `${P}/messages`): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(g.url + path, { method: 'POST', body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

const FORBIDDEN = { error: { type: 'unauthorized', message: 'user is not allowed' } };
const IGNORED = { ignored: true };

function processed(r: { status: number; json: any }, reply: string, session?: string): void {
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.ignored, undefined, `not ignored: ${JSON.stringify(r.json)}`);
  assert.equal(r.json.reply, reply);
  if (session) assert.equal(r.json.session_id, session);
}

function badRequest(r: { status: number; json: any }, message: string | RegExp): void {
  assert.equal(r.status, 400, JSON.stringify(r.json));
  assert.deepEqual(Object.keys(r.json), ['error']);
  assert.equal(r.json.error.type, 'invalid_request');
  if (typeof message === 'string') assert.equal(r.json.error.message, message);
  else assert.match(r.json.error.message, message);
}

describe('allowlist and gating', () => {
  test('#28 (B) u1 → 200; u2 → 403 unauthorized "user is not allowed"', async () => {
    processed(await msg(b, { from: 'u1', text: 'x' }), 'Echo: x', 'http:dm:u1');
    const r = await msg(b, { from: 'u2', text: 'x' });
    assert.equal(r.status, 403);
    assert.deepEqual(r.json, FORBIDDEN);
    // the stream refuses with the same plain JSON error
    const s = await msg(b, { from: 'u2', text: 'x' }, `${P}/messages:stream`);
    assert.equal(s.status, 403);
    assert.equal(s.headers.get('content-type'), 'application/json');
    assert.deepEqual(s.json, FORBIDDEN);
    // a refused request leaves no run behind
    await msg(b, { from: 'u2', text: 'x', request_id: 'refused-28' });
    assert.equal((await fetch(`${b.url}${P}/status?request_id=refused-28`)).status, 404);
  });

  test('#28 an allowlist configured but empty allows nobody', async () => {
    for (const who of [{ from: 'u1' }, { user_id: 'u1', from: 'u1' }, { from: 'alice' }]) {
      const r = await msg(nobody, { ...who, text: 'x' });
      assert.equal(r.status, 403);
      assert.deepEqual(r.json, FORBIDDEN);
    }
  });

  test('#29 (B) user_id is the allowlist key, not from', async () => {
    const r = await msg(b, { from: 'u1', user_id: 'u2', text: 'x' });
    assert.equal(r.status, 403);
    assert.deepEqual(r.json, FORBIDDEN);
    processed(await msg(b, { from: 'u2', user_id: 'u1', text: 'x' }), 'Echo: x', 'http:dm:u2');
    // a blank user_id falls back to from
    processed(await msg(b, { from: 'u1', user_id: '   ', text: 'x' }), 'Echo: x');
  });

  test('#30 (B) exact, case-sensitive match on the trimmed id', async () => {
    const r = await msg(b, { from: 'U1', text: 'x' });
    assert.equal(r.status, 403);
    assert.deepEqual(r.json, FORBIDDEN);
    processed(await msg(b, { from: ' u1 ', text: 'x' }), 'Echo: x', 'http:dm:u1');
    assert.equal((await msg(b, { from: 'u1x', text: 'x' })).status, 403);
    assert.equal((await msg(b, { from: 'u', text: 'x' })).status, 403);
  });

  test('#31 (B+C) non-allowlisted user in a thread without a mention → 403, not ignored', async () => {
    const r = await msg(bc, { from: 'u2', thread: 'g', text: 'hello' });
    assert.equal(r.status, 403);
    assert.deepEqual(r.json, FORBIDDEN);
    // an allowlisted one is gated, then processed with a mention
    assert.deepEqual((await msg(bc, { from: 'u1', thread: 'g', text: 'hello' })).json, IGNORED);
    processed(await msg(bc, { from: 'u1', thread: 'g', text: 'hello @bot' }), 'Echo: hello @bot', 'http:thread:g');
    // missing text still comes first
    badRequest(await msg(bc, { from: 'u2', thread: 'g' }), 'missing text');
  });

  test('#32 (C) thread without a mention → 200 exactly {"ignored":true}, nothing runs', async () => {
    const r = await msg(c, { from: 'a', thread: 'g', text: 'hello' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.deepEqual(r.json, IGNORED);
    const withId = await msg(c, { from: 'a', thread: 'g', text: 'hello', request_id: 'ignored-32' });
    assert.deepEqual(withId.json, IGNORED);
    assert.equal((await fetch(`${c.url}${P}/status?request_id=ignored-32`)).status, 404, 'an ignored message creates no run');
  });

  test('#33 (C) mention patterns are case-sensitive substrings', async () => {
    processed(await msg(c, { from: 'a', thread: 'g', text: 'hi @bot' }), 'Echo: hi @bot', 'http:thread:g');
    processed(await msg(c, { from: 'a', thread: 'g', text: '/agent do' }), 'Echo: /agent do');
    processed(await msg(c, { from: 'a', thread: 'g', text: 'hi @botany' }), 'Echo: hi @botany');
    processed(await msg(c, { from: 'a', thread: 'g', text: 'x/agenty' }), 'Echo: x/agenty');
    for (const text of ['hi @BOT', 'hi @ bot', 'hi bot', '/Agent do', 'agent']) {
      const r = await msg(c, { from: 'a', thread: 'g', text });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, IGNORED, `"${text}" is ignored`);
    }
    // a blank thread is no thread
    processed(await msg(c, { from: 'a', thread: '   ', text: 'hello' }), 'Echo: hello', 'http:dm:a');
  });

  test('#34 (C) a DM without a mention is processed', async () => {
    processed(await msg(c, { from: 'a', text: 'hello' }), 'Echo: hello', 'http:dm:a');
    processed(await msg(c, { from: 'a', session_id: 's-34', text: 'hello' }), 'Echo: hello', 's-34');
  });

  test('#35 (C) a mention in a text part counts', async () => {
    processed(await msg(c, { from: 'a', thread: 'g', content_parts: [{ type: 'text', text: 'x @bot' }] }), 'Echo: ', 'http:thread:g');
    // link and location parts become text and count too
    processed(await msg(c, { from: 'a', thread: 'g', text: 'see', content_parts: [{ type: 'link', link: { url: 'https://example.com', title: 'for @bot' } }] }), 'Echo: see');
    processed(await msg(c, { from: 'a', thread: 'g', text: 'here', content_parts: [{ type: 'location', location: { name: '/agent HQ', latitude: 1, longitude: 2 } }] }), 'Echo: here');
    // an image carries no mention text
    const img = await msg(c, { from: 'a', thread: 'g', content_parts: [{ type: 'image', image: { url: 'https://example.com/@bot.png' } }] });
    assert.deepEqual(img.json, IGNORED);
  });

  test('#36 (C) thread message with no text and no parts → 400 missing text, not ignored', async () => {
    badRequest(await msg(c, { from: 'a', thread: 'g' }), 'missing text');
    badRequest(await msg(c, { from: 'a', thread: 'g', text: '  ', content_parts: [] }), 'missing text');
    // a bad part is refused before gating too
    badRequest(await msg(c, { from: 'a', thread: 'g', content_parts: [{ type: 'bogus' }] }), 'content_parts[0]: unsupported content part type');
  });

  test('#37 require mention without patterns → the CLI exits non-zero at startup with the message', async () => {
    assertBuilt();
    const dir = tempDir();
    const want = 'gateway: require mention enabled without patterns';
    const variants: string[][] = [
      ['--require-mention'],
      ['--require-mention', '--mention', ' , ,'],
      ['--require-mention', '--mention', ''],
    ];
    const cfg = join(dir, 'c.yaml');
    writeFileSync(cfg, 'requireMention: true\nmention: []\n');
    variants.push(['--config', cfg]);
    for (const extra of variants) {
      const r = await runCli(['gateway', '--port', '0', '--state-dir', join(dir, 'state'), ...extra]);
      assert.notEqual(r.code, 0, `${extra.join(' ')}: exit code`);
      assert.equal(r.signal, null);
      assert.ok(r.stderr.includes(want), `${extra.join(' ')}: stderr ${JSON.stringify(r.stderr)}`);
      assert.ok(!r.stdout.includes('gateway ready'), 'it never became ready');
    }
    // with a pattern it starts (the control case)
    const ok = new CliProcess(['gateway', '--port', '0', '--state-dir', join(dir, 'state'), '--require-mention', '--mention', '@bot']);
    const port = await ok.ready();
    const r = await fetch(`http://127.0.0.1:${port}${P}/messages`, { method: 'POST', body: JSON.stringify({ from: 'a', thread: 'g', text: 'hi' }) });
    assert.deepEqual(await r.json(), IGNORED);
    ok.kill('SIGTERM');
    assert.equal((await ok.exit()).code, 0);
  });
});

describe('content parts (A)', () => {
  test('#67 image URL only → 200 reply "Echo: " and the URL is not fetched', async () => {
    processed(await msg(a, { from: 'alice', content_parts: [{ type: 'image', image: { url: 'https://example.com/a.png' } }] }), 'Echo: ', 'http:dm:alice');
    // an image URL on loopback is handed to the model as is: no connection, no private-address refusal
    const before = trapConnections;
    processed(await msg(a, { from: 'alice', content_parts: [{ type: 'image', image: { url: `http://127.0.0.1:${trapPort}/a.png`, detail: 'high' } }] }), 'Echo: ');
    assert.equal(trapConnections, before, 'no connection to the image URL');
  });

  test('#68 bad part types and text parts → 400 content_parts[i]: …', async () => {
    badRequest(await msg(a, { from: 'alice', content_parts: [{ type: 'bogus' }] }), 'content_parts[0]: unsupported content part type');
    badRequest(await msg(a, { from: 'alice', content_parts: [{}] }), 'content_parts[0]: unsupported content part type');
    badRequest(await msg(a, { from: 'alice', content_parts: [{ type: 'text' }] }), 'content_parts[0]: missing text');
    badRequest(await msg(a, { from: 'alice', content_parts: [{ type: 'text', text: ' ' }] }), 'content_parts[0]: empty text');
    // the index is the failing part's; the text is fine, the parts are checked first
    badRequest(await msg(a, { from: 'alice', text: 'Hi', content_parts: [{ type: 'text', text: 'ok' }, { type: 'TEXT', text: 'x' }] }), 'content_parts[1]: unsupported content part type');
    // parts are checked before the user (step 4 before step 5)
    badRequest(await msg(a, { content_parts: [{ type: 'text' }] }), 'content_parts[0]: missing text');
    // on the stream too, as plain JSON
    const s = await msg(a, { from: 'alice', content_parts: [{ type: 'bogus' }] }, `${P}/messages:stream`);
    assert.equal(s.headers.get('content-type'), 'application/json');
    badRequest(s, 'content_parts[0]: unsupported content part type');
  });

  test('#69 private audio URL → 400 private address, and no connection is made', async () => {
    const before = trapConnections;
    const urls = [
      `http://127.0.0.1:${trapPort}/x.wav`,
      `http://localhost:${trapPort}/x.wav`,
      `http://LOCALHOST.:${trapPort}/x.wav`,
      `http://127.1:${trapPort}/x.wav`,
      `http://2130706433:${trapPort}/x.wav`,
      `http://[::1]:${trapPort}/x.wav`,
      `http://[::ffff:127.0.0.1]:${trapPort}/x.wav`,
      `http://0.0.0.0:${trapPort}/x.wav`,
      'http://127.0.0.1/x.wav',
      'http://10.1.2.3/x.wav',
      'http://192.168.0.1/x.wav',
      'http://169.254.169.254/latest/meta-data/',
    ];
    for (const url of urls) {
      const r = await msg(a, { from: 'alice', text: 'Hi', content_parts: [{ type: 'audio', audio: { url } }] });
      badRequest(r, /^content_parts\[0\]: .*private address/);
    }
    for (const type of ['voice', 'file', 'video']) {
      const key = type === 'voice' ? 'audio' : 'file';
      const r = await msg(a, { from: 'alice', text: 'Hi', content_parts: [{ type, [key]: { url: `http://127.0.0.1:${trapPort}/x.wav` } }] });
      badRequest(r, /^content_parts\[0\]: .*private address/);
    }
    assert.equal(trapConnections, before, 'no connection reached the private host');

    badRequest(await msg(a, { from: 'alice', text: 'Hi', content_parts: [{ type: 'audio', audio: { url: 'ftp://example.com/x.wav' } }] }), 'content_parts[0]: unsupported url scheme');
    badRequest(await msg(a, { from: 'alice', text: 'Hi', content_parts: [{ type: 'file', file: { url: 'file:///etc/passwd' } }] }), 'content_parts[0]: unsupported url scheme');
  });

  test('#69 control: with private URLs allowed the same audio URL is downloaded (the trap works)', async () => {
    const seenBefore = mediaRequests.length;
    const r = await msg(aPriv, { from: 'alice', text: 'Hi', content_parts: [{ type: 'audio', audio: { url: `http://127.0.0.1:${mediaPort}/x.wav` } }] });
    processed(r, 'Echo: Hi');
    assert.equal(mediaRequests.length, seenBefore + 1, 'one download');
    assert.equal(mediaRequests.at(-1)!.url, '/x.wav');
    assert.match(mediaRequests.at(-1)!.userAgent, /clawgate/i, 'a User-Agent naming the gateway');
    // and the default gateway refuses it without a request
    const refused = await msg(a, { from: 'alice', text: 'Hi', content_parts: [{ type: 'audio', audio: { url: `http://127.0.0.1:${mediaPort}/x.wav` } }] });
    badRequest(refused, /private address/);
    assert.equal(mediaRequests.length, seenBefore + 1, 'no request from the default gateway');
  });

  test('#70 file data without filename → missing filename; inline data > 8 MiB → content part too large', async () => {
    const data = Buffer.from('hello').toString('base64');
    badRequest(await msg(a, { from: 'alice', content_parts: [{ type: 'file', file: { data } }] }), 'content_parts[0]: missing filename');
    badRequest(await msg(a, { from: 'alice', content_parts: [{ type: 'file', file: { data, filename: '  ' } }] }), 'content_parts[0]: missing filename');
    processed(await msg(a, { from: 'alice', content_parts: [{ type: 'file', file: { data, filename: 'a.txt' } }] }), 'Echo: ');

    const tooBig = Buffer.alloc(8_388_609, 0x61).toString('base64');
    badRequest(await msg(a, { from: 'alice', text: 'Hi', content_parts: [{ type: 'file', file: { data: tooBig, filename: 'big.bin' } }] }), 'content_parts[0]: content part too large');
    badRequest(await msg(a, { from: 'alice', text: 'Hi', content_parts: [{ type: 'image', image: { data: tooBig, format: 'png' } }] }), 'content_parts[0]: content part too large');
    // exactly 8 MiB is fine
    const exact = Buffer.alloc(8_388_608, 0x61).toString('base64');
    processed(await msg(a, { from: 'alice', text: 'Hi', content_parts: [{ type: 'file', file: { data: exact, filename: 'ok.bin' } }] }), 'Echo: Hi');
  });

  test('#71 audio data with format ogg → unsupported audio format', async () => {
    const data = Buffer.from('OggS').toString('base64');
    badRequest(await msg(a, { from: 'alice', content_parts: [{ type: 'audio', audio: { data, format: 'ogg' } }] }), 'content_parts[0]: unsupported audio format');
    badRequest(await msg(a, { from: 'alice', content_parts: [{ type: 'voice', audio: { data, format: 'ogg' } }] }), 'content_parts[0]: unsupported audio format');
    processed(await msg(a, { from: 'alice', content_parts: [{ type: 'audio', audio: { data, format: 'wav' } }] }), 'Echo: ');
    processed(await msg(a, { from: 'alice', content_parts: [{ type: 'audio', audio: { data, format: 'mp3' } }] }), 'Echo: ');
  });
});
