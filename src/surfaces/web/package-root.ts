import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Where the built pages are (web-surfaces.md S3): under the package root, the nearest ancestor directory whose
// package.json is named `clawgate`. From src/ (tsx) and from dist/src/ alike this finds the same dist/web/.

/** The clawgate package root above `from` (default: this module), or undefined when there is none. */
export function findPackageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && isClawgate(manifest)) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

function isClawgate(manifest: string): boolean {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'clawgate';
  } catch {
    return false; // an unreadable or broken package.json is not ours
  }
}
