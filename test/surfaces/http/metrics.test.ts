import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, postJson, type TestGateway } from '../../helpers/gateway.js';
import { parsePrometheusText, sampleValue, type Exposition } from '../../helpers/prometheus-text.js';
import { connectParams, connectRaw, TOKEN, wsUrl } from '../../helpers/ws-raw.js';

// GET /metrics: Prometheus text from the gateway's own registry; bearer-protected when a token is set.

const auth = { Authorization: `Bearer ${TOKEN}` };

async function scrape(t: TestGateway, headers: Record<string, string> = auth): Promise<Exposition> {
  const res = await fetch(`${t.url}/metrics`, { headers });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

describe('GET /metrics', () => {
  let guarded: TestGateway;
  let open: TestGateway;
  before(async () => {
    // the session actor outlives its run (idle time), so the live-sessions gauge has one to count
    guarded = await startTestGateway({ token: TOKEN, sessionIdleMs: 10_000 });
    open = await startTestGateway();
  });
  after(async () => {
    await guarded?.close();
    await open?.close();
  });

  it('wants the bearer token when one is set', async () => {
    assert.equal((await fetch(`${guarded.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${guarded.url}/metrics`, { headers: { Authorization: 'Bearer wrong' } })).status, 401);
  });

  it('parses as Prometheus text and declares every gateway metric with its type', async () => {
    const e = await scrape(guarded);
    const want: Record<string, string> = {
      clawgate_runs_total: 'counter', clawgate_run_duration_seconds: 'histogram', clawgate_queue_depth: 'gauge',
      clawgate_sessions_live: 'gauge', clawgate_ws_connections: 'gauge', clawgate_ws_handshakes_total: 'counter',
      clawgate_bus_events_total: 'counter', clawgate_ws_dropped_frames_total: 'counter',
      clawgate_journal_commit_seconds: 'histogram', process_cpu_user_seconds_total: 'counter', nodejs_heap_size_used_bytes: 'gauge',
    };
    for (const [name, type] of Object.entries(want)) assert.equal(e.types.get(name), type, name);
    assert.equal(sampleValue(e, 'clawgate_runs_total', { outcome: 'completed' }), 0);
  });

  it('counts a run, its duration, its bus events and its journal commits after a message', async () => {
    const before = await scrape(guarded);
    const r = await postJson(`${guarded.url}/v1/gateway/messages`, { from: 'alice', text: 'Hello' }, { headers: { ...auth, 'Content-Type': 'application/json' } });
    assert.equal(r.status, 200);
    const e = await scrape(guarded);
    const moved = (name: string, labels: Record<string, string> = {}) => (sampleValue(e, name, labels) ?? 0) - (sampleValue(before, name, labels) ?? 0);
    assert.equal(moved('clawgate_runs_total', { outcome: 'completed' }), 1);
    assert.equal(moved('clawgate_run_duration_seconds_count', { outcome: 'completed' }), 1);
    assert.equal(moved('clawgate_bus_events_total', { kind: 'run.queued' }), 1);
    assert.equal(moved('clawgate_bus_events_total', { kind: 'run.completed' }), 1);
    assert.equal(moved('clawgate_journal_commit_seconds_count', { step: 'run.completed' }), 1);
    assert.equal(sampleValue(e, 'clawgate_sessions_live'), 1);
    assert.equal(sampleValue(e, 'clawgate_queue_depth'), 0);
  });

  it('counts WS handshakes by result and the connections open', async () => {
    const ok = await connectRaw(wsUrl(guarded.port), connectParams({ scopes: ['operator.read'], auth: { token: TOKEN } }));
    const bad = await connectRaw(wsUrl(guarded.port), connectParams({ scopes: ['operator.read'], auth: { token: 'not-the-token-0123456789abcdefghijkl' } }));
    try {
      assert.equal(ok.res.ok, true);
      assert.equal(bad.res.ok, false);
      await bad.c.closed;
      const e = await scrape(guarded);
      assert.equal(sampleValue(e, 'clawgate_ws_handshakes_total', { result: 'ok' }), 1);
      assert.equal(sampleValue(e, 'clawgate_ws_handshakes_total', { result: 'failed' }), 1);
      assert.equal(sampleValue(e, 'clawgate_ws_connections', { state: 'authenticated' }), 1);
    } finally {
      await ok.c.close();
      await bad.c.close();
    }
  });

  it('is open without a token (loopback), and each gateway keeps its own counts', async () => {
    const e = await scrape(open, {});
    assert.equal(sampleValue(e, 'clawgate_runs_total', { outcome: 'completed' }), 0);
  });
});
