// Summarize a V8 .cpuprofile (from `node --cpu-prof`): top functions by self time, by total (inclusive)
// time, and self time per package/area.
//
//   node bench/cpuprofile-top.mjs FILE.cpuprofile [--top N] [--root ROOT_DIR]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, root: { type: 'string', default: process.cwd() } },
});
if (positionals.length !== 1) {
  process.stderr.write('usage: node bench/cpuprofile-top.mjs FILE.cpuprofile [--top N] [--root DIR]\n');
  process.exit(2);
}
const top = Number(values.top);
const root = `file://${values.root.replace(/\/$/, '')}/`;
const prof = JSON.parse(readFileSync(positionals[0], 'utf8'));

const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// self time per node from the samples (timeDeltas[i] is the time since the previous sample)
const selfUs = new Map();
let totalUs = 0;
for (let i = 0; i < prof.samples.length; i++) {
  const dt = prof.timeDeltas[i] ?? 0;
  selfUs.set(prof.samples[i], (selfUs.get(prof.samples[i]) ?? 0) + dt);
  totalUs += dt;
}

const shortUrl = (url) => {
  if (!url) return '';
  if (url.startsWith(root)) return url.slice(root.length);
  return url.replace(/^file:\/\/.*\/node_modules\//, 'node_modules/');
};
const keyOf = (cf) => `${cf.functionName || '(anonymous)'}  ${shortUrl(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
const area = (cf) => {
  const u = cf.url ?? '';
  if (!u) return cf.functionName.startsWith('(') ? cf.functionName : '(native/builtin)';
  if (u.startsWith('node:')) return 'node: internals';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (m) return `pkg ${m[1]}`;
  if (u.startsWith(root)) {
    const rel = u.slice(root.length);
    return rel.split('/').slice(0, 3).join('/');
  }
  return u;
};

const selfByFn = new Map();
const selfByArea = new Map();
for (const [id, us] of selfUs) {
  const cf = byId.get(id).callFrame;
  selfByFn.set(keyOf(cf), (selfByFn.get(keyOf(cf)) ?? 0) + us);
  selfByArea.set(area(cf), (selfByArea.get(area(cf)) ?? 0) + us);
}

// inclusive time per function: every sample counts once for each distinct function on its stack
const totalByFn = new Map();
for (const [id, us] of selfUs) {
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k = keyOf(byId.get(cur).callFrame);
    if (seen.has(k)) continue;
    seen.add(k);
    totalByFn.set(k, (totalByFn.get(k) ?? 0) + us);
  }
}

const pct = (us) => `${((100 * us) / totalUs).toFixed(1).padStart(5)}%`;
const ms = (us) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
const print = (title, map, n) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`  ${pct(us)} ${ms(us)}  ${k}`);
};
const idle = selfByFn.get('(idle)  ') ?? 0;
console.log(`${positionals[0]}: ${(totalUs / 1e6).toFixed(2)} s sampled, ${prof.samples.length} samples, idle ${pct(idle)}`);
print('self time by area', selfByArea, 30);
print(`top ${top} functions by self time`, selfByFn, top);
print(`top ${top} functions by total (inclusive) time`, totalByFn, top);
