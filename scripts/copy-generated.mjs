// Part of `npm run build` (and of `prepare`), after tsc: generated JavaScript in protocol/ is not TypeScript
// input (tsc cannot check that much generated code), so it is copied into dist/ beside what tsc emitted.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const FILES = ['protocol/precompiled.generated.js', 'protocol/precompiled.generated.d.ts'];
mkdirSync(join(root, 'dist/protocol'), { recursive: true });
for (const file of FILES) copyFileSync(join(root, file), join(root, 'dist', file));
