// Summarize a V8 sampling allocation profile (.heapprofile, from bench/ws.ts --alloc-profile): bytes allocated
// per function (self), garbage included, largest first, and the total; divide by the phase's handshakes.
//
//   node bench/heapprofile-top.mjs FILE.heapprofile [--top N] [--per N]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true, options: { top: { type: 'string', default: '30' }, per: { type: 'string', default: '1' } },
});
if (positionals.length !== 1) {
  process.stderr.write('usage: node bench/heapprofile-top.mjs FILE.heapprofile [--top N] [--per N]\n');
  process.exit(2);
}
const per = Number(values.per);
const { head } = JSON.parse(readFileSync(positionals[0], 'utf8'));
const self = new Map();
let total = 0;
(function walk(node) {
  const size = node.selfSize ?? 0;
  const f = node.callFrame;
  const key = `${f.functionName || '(anonymous)'}  ${f.url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/')}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + size);
  total += size;
  for (const c of node.children ?? []) walk(c);
})(head);
const kb = (b) => `${(b / per / 1024).toFixed(2)} KiB`;
process.stdout.write(`${positionals[0]}: ${kb(total)} allocated${per === 1 ? '' : ` per 1 of ${per}`}\n`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
  process.stdout.write(`  ${(v / total * 100).toFixed(1).padStart(5)}%  ${kb(v).padStart(12)}  ${k}\n`);
}
