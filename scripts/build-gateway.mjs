// `npm run build`, after tsc: bundle the `clawgate gateway` command (dist/src/cli/gateway.js) with the modules
// it loads into dist/gateway/, which the CLI loads instead (src/cli/main.ts). Resolving, reading and linking ~400
// separate modules was most of the gateway's start; a bundle is a few files. What is imported lazily (the WS
// plane, channels, the inspector feed) becomes a chunk of its own, still loaded when it is needed.
// Left out, loaded from node_modules as before: native modules, and the packages the gateway loads only when
// a feature needs them (models, channels, metrics, the cluster bus, the terminal's pretty logs).
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist/gateway');

/** Packages kept out of the bundle. */
export const EXTERNAL = [
  'better-sqlite3', 'uWebSockets.js', // native
  'openai', 'prom-client', 'pino-pretty', 'qrcode', 'ws',
  '@whiskeysockets/baileys', 'grammy', '@grammyjs/*', '@nats-io/*',
];

rmSync(out, { recursive: true, force: true });
const result = await build({
  entryPoints: { gateway: join(root, 'dist/src/cli/gateway.js') },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  external: EXTERNAL,
  // whitespace and syntax minified: less text for V8 to scan at start. Identifiers are not renamed, so errors
  // and classes keep their names without esbuild's keepNames, whose __name() call on every closure created
  // made the served paths ~25 % slower (bench:http, same run); positions are in the source maps
  // (node --enable-source-maps)
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  sourcesContent: false, // the maps point at dist/src/ and node_modules, which ship anyway
  // the CommonJS packages bundled in (pino, ajv's runtime) call require() for Node's modules
  banner: { js: "import { createRequire as __clawgateRequire } from 'node:module';\nconst require = __clawgateRequire(import.meta.url);" },
  metafile: true,
  logLevel: 'warning',
  absWorkingDir: root,
});
// outside the packed dist/gateway/: which modules each file holds (test/cli/start-imports.test.ts reads it)
writeFileSync(join(root, 'dist/gateway.meta.json'), JSON.stringify(result.metafile));
