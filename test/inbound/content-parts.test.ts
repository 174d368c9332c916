import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DEFAULT_PART_POLICY,
  PartError,
  normalizeContentParts,
  type ContentPartPolicy,
} from '../../src/inbound/content-parts.js';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const bytes = (s: string) => new Uint8Array(Buffer.from(s));

/** A fetch that must never be called (proves nothing was downloaded or contacted). */
const noFetch: typeof fetch = async () => {
  throw new Error('fetch must not be called');
};
const offline: ContentPartPolicy = { ...DEFAULT_PART_POLICY, fetch: noFetch };

async function one(part: unknown, policy: ContentPartPolicy = offline) {
  return normalizeContentParts([part], policy);
}

async function rejects(parts: unknown, message: string | RegExp, policy: ContentPartPolicy = offline) {
  await assert.rejects(normalizeContentParts(parts, policy), (err: unknown) => {
    assert.ok(err instanceof PartError, `expected PartError, got ${String(err)}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

describe('content_parts: shape', () => {
  test('undefined and null mean no parts', async () => {
    assert.deepEqual(await normalizeContentParts(undefined, offline), { parts: [], mentionTexts: [] });
    assert.deepEqual(await normalizeContentParts(null, offline), { parts: [], mentionTexts: [] });
    assert.deepEqual(await normalizeContentParts([], offline), { parts: [], mentionTexts: [] });
  });

  test('non-array and non-object parts are PartErrors, not crashes', async () => {
    await rejects({ type: 'text' }, /^content_parts: /);
    await rejects('x', /^content_parts: /);
    await rejects([42], 'content_parts[0]: invalid content part');
    await rejects([null], 'content_parts[0]: invalid content part');
    await rejects([{ type: 'text', text: 5 }], 'content_parts[0]: invalid text');
    await rejects([{ type: 'image', image: 'x' }], 'content_parts[0]: invalid image');
    await rejects([{ type: 'location', location: { latitude: '1' } }], 'content_parts[0]: invalid latitude');
  });

  test('unknown or missing type', async () => {
    await rejects([{ type: 'bogus' }], 'content_parts[0]: unsupported content part type');
    await rejects([{}], 'content_parts[0]: unsupported content part type');
    await rejects([{ type: 'TEXT', text: 'x' }], 'content_parts[0]: unsupported content part type');
  });

  test('the first bad part is reported with its index', async () => {
    await rejects(
      [{ type: 'text', text: 'ok' }, { type: 'link', link: { url: 'u' } }, { type: 'text', text: ' ' }, { type: 'bogus' }],
      'content_parts[2]: empty text',
    );
  });
});

describe('content_parts: text, link, location', () => {
  test('text is trimmed; missing and blank text fail', async () => {
    assert.deepEqual(await one({ type: 'text', text: '  x @bot ' }), {
      parts: [{ type: 'text', text: 'x @bot' }],
      mentionTexts: ['x @bot'],
    });
    await rejects([{ type: 'text' }], 'content_parts[0]: missing text');
    await rejects([{ type: 'text', text: null }], 'content_parts[0]: missing text');
    await rejects([{ type: 'text', text: ' ' }], 'content_parts[0]: empty text');
  });

  test('link becomes a text part title\\nurl', async () => {
    const r = await one({ type: 'link', link: { url: ' https://e.com/a ', title: ' Title ' } });
    assert.deepEqual(r.parts, [{ type: 'text', text: 'Title\nhttps://e.com/a' }]);
    assert.deepEqual(r.mentionTexts, ['Title\nhttps://e.com/a']);
    assert.deepEqual((await one({ type: 'link', link: { url: 'https://e.com' } })).parts, [
      { type: 'text', text: 'https://e.com' },
    ]);
    await rejects([{ type: 'link' }], 'content_parts[0]: missing link');
    await rejects([{ type: 'link', link: { title: 't' } }], 'content_parts[0]: missing link url');
  });

  test('location becomes a text part name\\nlatitude=<v>\\nlongitude=<v>', async () => {
    const r = await one({ type: 'location', location: { name: 'Office', latitude: 48.8566, longitude: -2.5 } });
    assert.deepEqual(r.parts, [{ type: 'text', text: 'Office\nlatitude=48.8566\nlongitude=-2.5' }]);
    assert.deepEqual(r.mentionTexts, ['Office\nlatitude=48.8566\nlongitude=-2.5']);
    // No name: the leading newline is trimmed; numbers print like Go's %v.
    assert.deepEqual((await one({ type: 'location', location: { latitude: 0.00001, longitude: 3 } })).parts, [
      { type: 'text', text: 'latitude=1e-05\nlongitude=3' },
    ]);
    assert.deepEqual((await one({ type: 'location', location: {} })).parts, [
      { type: 'text', text: 'latitude=0\nlongitude=0' },
    ]);
    await rejects([{ type: 'location' }], 'content_parts[0]: missing location');
  });

  test('mentionTexts keep the order of text/link/location parts only', async () => {
    const r = await normalizeContentParts(
      [
        { type: 'image', image: { url: 'https://e.com/a.png' } },
        { type: 'text', text: 'one' },
        { type: 'link', link: { url: 'https://e.com', title: 'two' } },
        { type: 'location', location: { name: 'three', latitude: 1, longitude: 2 } },
      ],
      offline,
    );
    assert.deepEqual(r.mentionTexts, ['one', 'two\nhttps://e.com', 'three\nlatitude=1\nlongitude=2']);
    assert.equal(r.parts.length, 4);
  });
});

describe('content_parts: image', () => {
  test('url is handed on as is, not downloaded; detail defaults to auto', async () => {
    const r = await one({ type: 'image', image: { url: 'https://example.com/a.png' } });
    assert.deepEqual(r, { parts: [{ type: 'image', url: 'https://example.com/a.png', detail: 'auto' }], mentionTexts: [] });
    const hi = await one({ type: 'image', image: { url: 'http://127.0.0.1/a.png', detail: 'high' } });
    assert.deepEqual(hi.parts, [{ type: 'image', url: 'http://127.0.0.1/a.png', detail: 'high' }]);
  });

  test('data + format', async () => {
    const r = await one({ type: 'image', image: { data: b64('PNG'), format: 'png' } });
    assert.deepEqual(r.parts, [{ type: 'image', data: bytes('PNG'), format: 'png', detail: 'auto' }]);
    await rejects([{ type: 'image', image: { data: b64('PNG') } }], 'content_parts[0]: missing image format');
    await rejects([{ type: 'image', image: {} }], 'content_parts[0]: missing image url or data');
    await rejects([{ type: 'image' }], 'content_parts[0]: missing image');
  });

  test('invalid base64 and oversize data', async () => {
    await rejects([{ type: 'image', image: { data: 'not base64!', format: 'png' } }], 'content_parts[0]: invalid base64 data');
    await rejects([{ type: 'image', image: { data: 'QUJD-_', format: 'png' } }], 'content_parts[0]: invalid base64 data');
    await rejects([{ type: 'image', image: { data: 'QUJDRA', format: 'png' } }], 'content_parts[0]: invalid base64 data');
    const small = { ...offline, maxPartBytes: 3 };
    assert.equal((await one({ type: 'image', image: { data: b64('abc'), format: 'png' } }, small)).parts.length, 1);
    await rejects([{ type: 'image', image: { data: b64('abcd'), format: 'png' } }], 'content_parts[0]: content part too large', small);
  });
});

describe('content_parts: inline audio and files', () => {
  test('audio/voice data + wav/mp3', async () => {
    assert.deepEqual((await one({ type: 'audio', audio: { data: b64('RIFF'), format: 'wav' } })).parts, [
      { type: 'audio', data: bytes('RIFF'), format: 'wav' },
    ]);
    assert.deepEqual((await one({ type: 'voice', audio: { data: b64('ID3'), format: ' mp3 ' } })).parts, [
      { type: 'audio', data: bytes('ID3'), format: 'mp3' },
    ]);
  });

  test('audio errors', async () => {
    await rejects([{ type: 'audio', audio: { data: b64('x'), format: 'ogg' } }], 'content_parts[0]: unsupported audio format');
    await rejects([{ type: 'audio', audio: { data: b64('x') } }], 'content_parts[0]: missing audio format');
    await rejects([{ type: 'audio', audio: {} }], 'content_parts[0]: missing audio url or data');
    await rejects([{ type: 'voice' }], 'content_parts[0]: missing audio');
    // An explicit bad format is rejected before any download.
    await rejects([{ type: 'audio', audio: { url: 'https://e.com/a.ogg', format: 'ogg' } }], 'content_parts[0]: unsupported audio format');
  });

  test('file_id', async () => {
    assert.deepEqual((await one({ type: 'file', file: { file_id: ' f-1 ' } })).parts, [{ type: 'file', fileId: 'f-1' }]);
    assert.deepEqual((await one({ type: 'video', file: { file_id: 'v', filename: 'a.mp4', format: 'video/mp4' } })).parts, [
      { type: 'file', fileId: 'v', filename: 'a.mp4', mime: 'video/mp4' },
    ]);
  });

  test('data + filename; mime from format, then extension, then octet-stream', async () => {
    const f = (file: object) => one({ type: 'file', file }).then((r) => r.parts[0]);
    assert.deepEqual(await f({ data: b64('a,b'), filename: 'x.csv' }), { type: 'file', filename: 'x.csv', data: bytes('a,b'), mime: 'text/csv' });
    assert.deepEqual(await f({ data: b64('a'), filename: 'x.csv', format: 'Text/Plain; charset=utf-8' }), {
      type: 'file', filename: 'x.csv', data: bytes('a'), mime: 'text/plain',
    });
    assert.deepEqual(await f({ data: b64('a'), filename: 'blob' }), { type: 'file', filename: 'blob', data: bytes('a'), mime: 'application/octet-stream' });
  });

  test('file errors: missing filename, too large (default 8 MiB cap), nothing given', async () => {
    await rejects([{ type: 'file', file: { data: b64('x') } }], 'content_parts[0]: missing filename');
    const big = b64(Buffer.alloc(8388609));
    await rejects([{ type: 'file', file: { data: big, filename: 'a.bin' } }], 'content_parts[0]: content part too large');
    const exact = b64(Buffer.alloc(8388608));
    assert.equal((await one({ type: 'file', file: { data: exact, filename: 'a.bin' } })).parts.length, 1);
    await rejects([{ type: 'file', file: {} }], 'content_parts[0]: missing file url, data, or file_id');
    await rejects([{ type: 'video' }], 'content_parts[0]: missing file');
  });
});

describe('content_parts: URL policy (no connection made)', () => {
  let server: Server;
  let port = 0;
  let connections = 0;
  before(async () => {
    server = createServer((_req, res) => res.end('secret'));
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test('private hosts are blocked without contacting them (real fetch)', async () => {
    const policy = { ...DEFAULT_PART_POLICY }; // real fetch, private hosts not allowed
    await rejects(
      [{ type: 'audio', audio: { url: `http://127.0.0.1:${port}/x.wav` } }],
      'content_parts[0]: url host resolves to private address: 127.0.0.1',
      policy,
    );
    await rejects([{ type: 'file', file: { url: `http://localhost:${port}/a.txt` } }], /private address: localhost$/, policy);
    assert.equal(connections, 0);
  });

  test('every private/special address family is blocked', async () => {
    const hosts = [
      '127.0.0.1', '127.5.5.5', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254',
      '0.0.0.0', '224.0.0.1', '255.255.255.255', '[::1]', '[::]', '[fe80::1]', '[fc00::1]', '[fd12::1]', '[ff02::1]',
      '[::ffff:127.0.0.1]', '[::ffff:10.0.0.1]', 'LOCALHOST', 'a.localhost', '2130706433', '0x7f.1',
    ];
    for (const h of hosts) {
      await rejects([{ type: 'audio', audio: { url: `http://${h}/x.wav` } }], /^content_parts\[0\]: url host resolves to private address: /);
    }
  });

  test('a hostname is resolved and blocked if any address is private', async () => {
    const asked: string[] = [];
    const lookup = async (h: string) => (asked.push(h), ['93.184.216.34', '10.0.0.7']);
    await rejects(
      [{ type: 'file', file: { url: 'https://files.example.com/a.pdf' } }],
      'content_parts[0]: url host resolves to private address: files.example.com',
      { ...offline, lookup },
    );
    assert.deepEqual(asked, ['files.example.com']);
    await rejects([{ type: 'file', file: { url: 'https://x.example/a' } }], /private address/, {
      ...offline, lookup: async () => ['::1'],
    });
    await rejects([{ type: 'file', file: { url: 'https://x.example/a' } }], 'content_parts[0]: resolve host: no addresses', {
      ...offline, lookup: async () => [],
    });
    await rejects([{ type: 'file', file: { url: 'https://x.example/a' } }], 'content_parts[0]: resolve host: ENOTFOUND', {
      ...offline, lookup: async () => { throw new Error('ENOTFOUND'); },
    });
  });

  test('scheme, malformed url, allowed patterns', async () => {
    await rejects([{ type: 'audio', audio: { url: 'ftp://example.com/x.wav' } }], 'content_parts[0]: unsupported url scheme');
    await rejects([{ type: 'file', file: { url: 'file:///etc/passwd' } }], 'content_parts[0]: unsupported url scheme');
    await rejects([{ type: 'file', file: { url: 'not a url' } }], 'content_parts[0]: invalid url');
    const policy = { ...offline, allowedUrlPatterns: [' ', 'cdn.example.com/media', 'files.example.org'] };
    for (const url of ['https://evil.com/media/a', 'https://cdn.example.com/mediax/a', 'https://cdn.example.com/', 'https://example.org/a']) {
      await rejects([{ type: 'file', file: { url } }], 'content_parts[0]: url does not match any allowed pattern', policy);
    }
  });

  test('allowed patterns pass hosts, subdomains and path prefixes (then the fetch runs)', async () => {
    const seen: string[] = [];
    const fetch: typeof globalThis.fetch = async (input) => (seen.push(String(input)), new Response('x'));
    const policy = {
      ...DEFAULT_PART_POLICY, fetch, lookup: async () => ['93.184.216.34'],
      allowedUrlPatterns: ['cdn.example.com/media', 'files.example.org'],
    };
    for (const url of ['https://cdn.example.com/media', 'https://cdn.example.com/media/a.bin', 'https://a.files.example.org/x', 'https://files.example.org']) {
      await one({ type: 'file', file: { url } }, policy);
    }
    assert.equal(seen.length, 4);
  });

  test('a redirect to a private host is blocked before following it', async () => {
    const seen: string[] = [];
    const fetch: typeof globalThis.fetch = async (input) => {
      seen.push(String(input));
      return new Response(null, { status: 302, headers: { Location: `http://127.0.0.1:${port}/x` } });
    };
    await rejects([{ type: 'file', file: { url: 'https://public.example/a' } }], `content_parts[0]: url host resolves to private address: 127.0.0.1`, {
      ...DEFAULT_PART_POLICY, fetch, lookup: async () => ['93.184.216.34'],
    });
    assert.deepEqual(seen, ['https://public.example/a']);
    assert.equal(connections, 0);
  });
});

describe('content_parts: real downloads', () => {
  let server: Server;
  let base = '';
  const agents: (string | undefined)[] = [];
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/a.wav': (_q, s) => s.end('RIFFwav'),
    '/sound': (_q, s) => s.writeHead(200, { 'Content-Type': 'audio/mpeg' }).end('ID3mp3'),
    '/plain': (_q, s) => s.writeHead(200, { 'Content-Type': 'text/plain' }).end('noise'),
    '/docs/report%20q3.pdf': (_q, s) => s.writeHead(200, { 'Content-Type': 'application/pdf; x=1' }).end('%PDF'),
    '/dl': (_q, s) => s.writeHead(200, { 'Content-Disposition': 'attachment; filename="q3 \\"final\\".csv"' }).end('a,b'),
    '/dl-star': (_q, s) => s.writeHead(200, { 'Content-Disposition': "attachment; filename=fallback.txt; filename*=UTF-8''%E2%82%AC%20rates.txt" }).end('1'),
    '/dl-path': (_q, s) => s.writeHead(200, { 'Content-Disposition': 'attachment; filename="../../etc/passwd"' }).end('x'),
    '/': (_q, s) => s.end('root'),
    '/missing': (_q, s) => s.writeHead(404).end('nope'),
    '/broken': (_q, s) => s.writeHead(500).end(),
    '/no-location': (_q, s) => s.writeHead(302).end(),
    '/huge-length': (_q, s) => s.writeHead(200, { 'Content-Length': '5000' }).end(Buffer.alloc(5000)),
    // Sends more than the cap and never ends: the reader must stop on its own.
    '/endless': (_q, s) => { s.writeHead(200); s.write(Buffer.alloc(64 * 1024)); },
    '/endless-default': (_q, s) => { s.writeHead(200); s.write(Buffer.alloc(8388609)); },
    '/hang': () => {},
  };
  before(async () => {
    server = createServer((req, res) => {
      agents.push(req.headers['user-agent']);
      const url = new URL(req.url ?? '/', 'http://x');
      const hop = /^\/r\/(\d+)$/.exec(url.pathname);
      if (hop) {
        const n = Number(hop[1]);
        res.writeHead(n % 2 ? 302 : 307, { Location: n > 1 ? `/r/${n - 1}` : `${base}/a.wav` }).end();
        return;
      }
      (routes[url.pathname] ?? routes['/missing']!)(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  const local: ContentPartPolicy = { ...DEFAULT_PART_POLICY, allowPrivateHosts: true };
  const first = async (part: unknown, policy = local) => (await one(part, policy)).parts[0];

  test('audio url: format from the .wav name; User-Agent names the gateway', async () => {
    agents.length = 0;
    assert.deepEqual(await first({ type: 'audio', audio: { url: `${base}/a.wav` } }), {
      type: 'audio', data: bytes('RIFFwav'), format: 'wav', url: `${base}/a.wav`,
    });
    assert.deepEqual(agents, ['clawgate-gateway']);
  });

  test('audio url: format from Content-Type, or the field; otherwise missing', async () => {
    assert.deepEqual(await first({ type: 'voice', audio: { url: `${base}/sound` } }), {
      type: 'audio', data: bytes('ID3mp3'), format: 'mp3', url: `${base}/sound`,
    });
    assert.equal(((await first({ type: 'audio', audio: { url: `${base}/plain`, format: 'wav' } })) as { format: string }).format, 'wav');
    await rejects([{ type: 'audio', audio: { url: `${base}/plain` } }], 'content_parts[0]: missing audio format', local);
  });

  test('file url: name from URL basename, mime from Content-Type', async () => {
    assert.deepEqual(await first({ type: 'file', file: { url: `${base}/docs/report%20q3.pdf` } }), {
      type: 'file', filename: 'report q3.pdf', data: bytes('%PDF'), mime: 'application/pdf', url: `${base}/docs/report%20q3.pdf`,
    });
  });

  test('file url: Content-Disposition naming; mime then from the extension', async () => {
    assert.deepEqual(await first({ type: 'file', file: { url: `${base}/dl` } }), {
      type: 'file', filename: 'q3 "final".csv', data: bytes('a,b'), mime: 'text/csv', url: `${base}/dl`,
    });
    const star = (await first({ type: 'video', file: { url: `${base}/dl-star` } })) as { filename: string; mime: string };
    assert.equal(star.filename, '€ rates.txt');
    assert.equal(star.mime, 'text/plain');
    assert.equal(((await first({ type: 'file', file: { url: `${base}/dl-path` } })) as { filename: string }).filename, 'passwd');
  });

  test('file url: explicit filename and format win; fallbacks attachment and octet-stream', async () => {
    assert.deepEqual(await first({ type: 'file', file: { url: `${base}/dl`, filename: 'mine.bin', format: 'application/x-mine' } }), {
      type: 'file', filename: 'mine.bin', data: bytes('a,b'), mime: 'application/x-mine', url: `${base}/dl`,
    });
    assert.deepEqual(await first({ type: 'file', file: { url: `${base}/` } }), {
      type: 'file', filename: 'attachment', data: bytes('root'), mime: 'application/octet-stream', url: `${base}/`,
    });
  });

  test('redirects: a chain of 5 is followed (302 and 307, relative Location)', async () => {
    agents.length = 0;
    assert.deepEqual(await first({ type: 'audio', audio: { url: `${base}/r/5` } }), {
      type: 'audio', data: bytes('RIFFwav'), format: 'wav', url: `${base}/r/5`,
    });
    assert.equal(agents.length, 6);
    assert.ok(agents.every((a) => a === 'clawgate-gateway'));
  });

  test('redirects: more than 5 fail; the limit is configurable', async () => {
    agents.length = 0;
    await rejects([{ type: 'audio', audio: { url: `${base}/r/6`, format: 'wav' } }], 'content_parts[0]: too many redirects', local);
    assert.equal(agents.length, 6); // the 6th redirect is not followed
    await rejects([{ type: 'file', file: { url: `${base}/r/2` } }], 'content_parts[0]: too many redirects', { ...local, maxRedirects: 1 });
  });

  test('non-2xx status', async () => {
    await rejects([{ type: 'file', file: { url: `${base}/missing` } }], 'content_parts[0]: unexpected status: 404', local);
    await rejects([{ type: 'audio', audio: { url: `${base}/broken`, format: 'mp3' } }], 'content_parts[0]: unexpected status: 500', local);
    await rejects([{ type: 'file', file: { url: `${base}/no-location` } }], 'content_parts[0]: unexpected status: 302', local);
  });

  test('oversize downloads stop at the cap', async () => {
    const small = { ...local, maxPartBytes: 1024 };
    await rejects([{ type: 'file', file: { url: `${base}/huge-length` } }], 'content_parts[0]: content part too large', small);
    await rejects([{ type: 'file', file: { url: `${base}/endless` } }], 'content_parts[0]: content part too large', small);
    // Default 8 MiB cap, a body that never ends: resolved without waiting for the end (or the timeout).
    const t0 = Date.now();
    await rejects([{ type: 'file', file: { url: `${base}/endless-default` } }], 'content_parts[0]: content part too large', {
      ...local, downloadTimeoutMs: 10_000,
    });
    assert.ok(Date.now() - t0 < 5000);
  });

  test('timeout', async () => {
    await rejects([{ type: 'file', file: { url: `${base}/hang` } }], 'content_parts[0]: download timed out after 150 ms', {
      ...local, downloadTimeoutMs: 150,
    });
  });

  test('connection failure is a clear reason', async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    await rejects([{ type: 'file', file: { url: `http://127.0.0.1:${port}/x` } }], /^content_parts\[0\]: fetch: .*ECONNREFUSED/, local);
  });

  test('downloads still honour allowed patterns when private hosts are allowed', async () => {
    await rejects([{ type: 'file', file: { url: `${base}/a.wav` } }], 'content_parts[0]: url does not match any allowed pattern', {
      ...local, allowedUrlPatterns: ['example.com'],
    });
    assert.equal(((await first({ type: 'audio', audio: { url: `${base}/a.wav` } }, { ...local, allowedUrlPatterns: ['127.0.0.1'] })) as { format: string }).format, 'wav');
  });
});
