import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFrame, PreEncoded } from '../../../protocol/encode.js';
import { Health } from '../../../src/surfaces/ws/health.js';
import { helloTemplate, MAX_PAYLOAD } from '../../../src/surfaces/ws/hello.js';
import { Presence } from '../../../src/surfaces/ws/presence.js';

// hello-ok from the cached template: the same payload the spec's shape asks for, with the per-connection
// fields written in, and presence / health as they are when the connection is admitted.

function sources() {
  const presence = new Presence({ version: '1.2.3', ip: '127.0.0.1' }, () => {});
  const health = new Health({ stateDir: mkdtempSync(join(tmpdir(), 'hello-')), sessionCount: () => 0, recentSessions: () => [] });
  const src = {
    version: '1.2.3', startedAt: Date.now() - 5_000, stateDir: '/state', authMode: 'token' as const, tickIntervalMs: 30_000,
    maxBufferedBytes: 1_000_000, methods: ['health', 'chat.send'], events: ['tick', 'chat'], presence, health,
  };
  return { src, presence, health };
}

test('hello-ok from the template: fixed parts, the connection\'s id and auth, presence and health of now', (t) => {
  const { src, presence, health } = sources();
  t.after(() => health.stop());
  const build = helloTemplate(src);
  const auth = { method: 'token', role: 'operator', scopes: ['operator.read'] };
  const hello = build('conn-1', auth, { pluginSurfaceUrls: { canvas: 'http://h/cap/x' } });
  assert.ok(hello instanceof PreEncoded);
  const p = JSON.parse(hello.json);
  const { uptimeMs, ...snapshot } = p.snapshot;
  assert.ok(uptimeMs >= 5_000 && Number.isInteger(uptimeMs));
  assert.deepEqual({ ...p, snapshot }, {
    type: 'hello-ok', protocol: 4, server: { version: '1.2.3', connId: 'conn-1' },
    features: { methods: ['health', 'chat.send'], events: ['tick', 'chat'] },
    snapshot: {
      presence: presence.list(), health: health.current(), stateVersion: { presence: 1, health: 1 },
      sessionDefaults: { defaultAgentId: 'main', mainKey: 'main', mainSessionKey: 'agent:main:main' }, authMode: 'token',
    },
    auth, policy: { maxPayload: MAX_PAYLOAD, maxBufferedBytes: 1_000_000, tickIntervalMs: 30_000 },
    pluginSurfaceUrls: { canvas: 'http://h/cap/x' },
  });
  // keys in the order the spec lists them (the wire is unchanged)
  assert.deepEqual(Object.keys(p), ['type', 'protocol', 'server', 'features', 'snapshot', 'auth', 'policy', 'pluginSurfaceUrls']);

  // a new presence entry and a health refresh show in the next hello, with their versions
  presence.add('c2', { id: 'mac', mode: 'ui' }, { ip: '10.0.0.2', role: 'operator', scopes: [] });
  health.refresh();
  const next = JSON.parse(build('conn-2', auth).json);
  assert.deepEqual(next.snapshot.presence, JSON.parse(JSON.stringify(presence.list())));
  assert.deepEqual(next.snapshot.health, JSON.parse(JSON.stringify(health.current())));
  assert.deepEqual(next.snapshot.stateVersion, { presence: 2, health: 2 });
  assert.equal(next.pluginSurfaceUrls, undefined);
});

test('the state dir is shown to operator.admin only', (t) => {
  const { src, health } = sources();
  t.after(() => health.stop());
  const build = helloTemplate(src);
  assert.equal(JSON.parse(build('a', { method: 'token', role: 'operator', scopes: ['operator.admin'] }).json).snapshot.stateDir, '/state');
  assert.equal(JSON.parse(build('b', { method: 'token', role: 'operator', scopes: ['operator.read'] }).json).snapshot.stateDir, undefined);
});

test('encodeFrame splices a PreEncoded value: the same text as JSON.stringify of the parsed value', () => {
  const payload = new PreEncoded('{"a":[1,"x"],"b":{"c":null}}');
  const frame = { type: 'res', id: 'c"1', ok: true, payload, skipped: undefined };
  assert.equal(encodeFrame(frame), JSON.stringify({ type: 'res', id: 'c"1', ok: true, payload: { a: [1, 'x'], b: { c: null } } }));
  assert.equal(JSON.stringify(frame), encodeFrame(frame), 'toJSON gives the same text to anyone else');
  assert.equal(encodeFrame({ type: 'res', id: 'x', ok: false }), '{"type":"res","id":"x","ok":false}');
});
