import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { ROOT } from '../helpers/cli.js';

// The layer rules of docs/ARCHITECTURE.md (.dependency-cruiser.cjs) hold on src/, and they do fire: the same
// configuration run on a scratch tree with deliberately wrong imports reports each of them.

const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const scratch: string[] = [];
after(() => { for (const d of scratch) rmSync(d, { recursive: true, force: true }); });

function cruise(cwd: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [DEPCRUISE, 'src', '--config', join(cwd, '.dependency-cruiser.cjs'), '--output-type', 'err'], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('src/ and protocol/ follow the layer rules, with no cycles', () => {
  const r = spawnSync(process.execPath, [DEPCRUISE, 'src', 'protocol', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});

test('a wrong import is rejected: a machine importing a surface, transport importing an actor, cluster importing an actor, NATS outside src/cluster, a cycle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-layers-'));
  scratch.push(dir);
  const file = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  for (const f of ['.dependency-cruiser.cjs', 'tsconfig.json']) copyFileSync(join(ROOT, f), join(dir, f));
  file('src/surfaces/http/routes.ts', 'export const routes = 1;\n');
  file('src/machines/session.ts', "import { routes } from '../surfaces/http/routes.js';\nexport const machine = routes;\n");
  file('src/actors/hub.ts', 'export const hub = 1;\n');
  file('src/transport/ws.ts', "import { hub } from '../actors/hub.js';\nexport const ws = hub;\n");
  file('src/cluster/bus.ts', "import { hub } from '../actors/hub.js';\nexport const bus = hub;\n");
  file('src/store/nats.ts', "import { connect } from '@nats-io/transport-node';\nexport const c = connect;\n");
  file('src/core/a.ts', "import { b } from './b.js';\nexport const a = () => b;\n");
  file('src/core/b.ts', "import { a } from './a.js';\nexport const b = () => a;\n");
  const r = cruise(dir);
  assert.notEqual(r.status, 0, 'the rules must fail this tree');
  assert.match(r.out, /machines: src\/machines\/session\.ts → src\/surfaces\/http\/routes\.ts/);
  assert.match(r.out, /transport: src\/transport\/ws\.ts → src\/actors\/hub\.ts/);
  assert.match(r.out, /cluster: src\/cluster\/bus\.ts → src\/actors\/hub\.ts/);
  assert.match(r.out, /nats-only-in-cluster: src\/store\/nats\.ts → @nats-io\/transport-node/);
  assert.match(r.out, /no-cycles/);
});
