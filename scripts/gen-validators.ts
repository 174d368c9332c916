// `npm run validators:gen`: regenerate protocol/precompiled.generated.js from the TypeBox schemas (after any
// change to protocol/*.ts; test/protocol/precompiled.test.ts fails while it is stale).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PRECOMPILED_PATH, renderPrecompiledValidators } from './precompiled-validators.js';

const path = fileURLToPath(PRECOMPILED_PATH);
const next = renderPrecompiledValidators();
let current: string | undefined;
try {
  current = readFileSync(path, 'utf8');
} catch {
  current = undefined;
}
if (current === next) {
  console.log(`${path} is up to date`);
} else {
  writeFileSync(path, next);
  console.log(`wrote ${path} (${(next.length / 1024).toFixed(0)} KiB)`);
}
