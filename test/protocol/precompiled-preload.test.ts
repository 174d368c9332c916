import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { assertBuilt, childEnv, ROOT } from '../helpers/cli.js';

// The precompiled validators' failure texts need no module load: the first invalid frame must not load TypeBox
// and the schemas, synchronously (it stalled the event loop for seconds on a busy machine: every socket
// waited, a test's WS request timed out) or in the background (a require() of a module that is still being
// import()ed throws ERR_INTERNAL_ASSERTION). A child process on dist/ counts the modules loaded by require()
// (require.cache: a synchronous load shows there) and resolved by import() (a loader hook) around the first failure.

const HOOK = `
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
import { writeSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  writeSync(1, 'RESOLVED ' + r.url + '\\\\n');
  return r;
}\`));
`;

test('the first invalid value gets its text without loading a module', () => {
  assertBuilt();
  const url = pathToFileURL(`${ROOT}/dist/protocol/precompiled.js`).href;
  const script = `import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const m = await import(${JSON.stringify(url)});
const before = Object.keys(require.cache).length;
process.stdout.write('FIRST FAILURE\\n');
const r = m.validateParams('chat.send', { sessionKey: 'agent:main:x', message: 'hi', idempotencyKey: 'k', queueMode: 'later' });
await new Promise((resolve) => setTimeout(resolve, 200));
process.stdout.write('DONE ' + (Object.keys(require.cache).length - before) + ' ' + JSON.stringify(r) + '\\n');`;
  const out = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(HOOK)}`, '--input-type=module', '-e', script],
    { env: childEnv(), encoding: 'utf8', timeout: 30_000 });
  assert.equal(out.status, 0, out.stderr);
  const lines = out.stdout.split('\n');
  const from = lines.indexOf('FIRST FAILURE');
  const done = lines.findIndex((l) => l.startsWith('DONE '));
  assert.ok(from >= 0 && done > from, out.stdout);
  assert.deepEqual(lines.slice(from + 1, done), [], 'modules imported around the first failure');
  assert.match(lines[done], /^DONE 0 \{"ok":false,"message":"at \/queueMode: /, 'no module required by the first failure');
});
