import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertBuilt, childEnv, CliProcess, killAll, ROOT, tempDir } from '../helpers/cli.js';
import { until } from '../helpers/wait.js';

// What `clawgate gateway` loads before it is ready (dist/, built by `npm run build`): a loader hook in the child
// writes every module it resolves to stdout, in order with the JSON log; the gateway runs from its bundle
// (dist/gateway/, scripts/build-gateway.mjs), whose metafile says which sources each file holds. Neither TypeBox's type builders and
// compiler nor the TypeBox schemas of protocol/ (the validators are precompiled: protocol/precompiled.ts, only
// TypeBox's JSON Schema engine is loaded, for error texts) nor prom-client (loaded right after `gateway ready`:
// src/actors/deferred-metrics.ts) may come before the `gateway ready` line; /metrics still answers. Without
// --nats-url, neither src/cluster nor the NATS client is ever loaded.

const HOOK = `
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
import { writeSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  writeSync(1, JSON.stringify({ resolved: r.url }) + '\\\\n');
  return r;
}\`));
`;

after(async () => {
  await killAll();
});

test('the gateway is ready before it loads TypeBox\'s compiler, the schemas or prom-client; /metrics loads prom-client after', async () => {
  assertBuilt();
  const proc = new CliProcess(['gateway', '--port', '0', '--state-dir', tempDir(), '--log-level', 'info'],
    childEnv({ NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(HOOK)}` }));
  const port = await proc.ready();
  const lines = proc.logLines();
  const readyAt = lines.findIndex((l) => l.msg === 'gateway ready');
  const before = lines.slice(0, readyAt).map((l) => l.resolved).filter((u): u is string => typeof u === 'string');
  assert.ok(before.some((u) => u.endsWith('/dist/gateway/gateway.js')), 'the gateway runs from its bundle');
  // the sources in the bundle's files that were loaded, and the modules loaded from node_modules
  const meta = JSON.parse(readFileSync(join(ROOT, 'dist/gateway.meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
  const sources = (urls: string[]) => urls.flatMap((u) => {
    const output = /\/(dist\/gateway\/.*)$/.exec(u)?.[1];
    return output ? Object.keys(meta.outputs[output]?.inputs ?? {}).map((input) => `/${input}`) : [u];
  });
  const loaded = sources(before);
  assert.ok(loaded.some((u) => u.endsWith('/dist/src/surfaces/ws/plane.js')), 'the WS plane loads before ready');
  assert.deepEqual(loaded.filter((u) => /\/node_modules\/(typebox\/build\/(compile|type|value)|prom-client)\/|\/dist\/protocol\/(index|validators)\.js$/.test(u)), []);
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  const body = await res.text();
  assert.equal(res.status, 200);
  assert.match(body, /^clawgate_runs_total\{outcome="completed"\} 0$/m);
  await until(() => proc.logLines().some((l) => typeof l.resolved === 'string' && /\/node_modules\/prom-client\//.test(l.resolved)),
    'prom-client to be loaded', 5000, 20);
  const cluster = sources(proc.logLines().map((l) => l.resolved).filter((u): u is string => typeof u === 'string'))
    .filter((u) => /\/node_modules\/@nats-io\/|\/dist\/src\/cluster\//.test(u));
  assert.deepEqual(cluster, [], 'a single process never loads the cluster layer');
  proc.kill();
  await proc.exit();
});
