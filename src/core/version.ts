import { existsSync, readFileSync } from 'node:fs';

// The package version, found by walking up from this module: it runs from src/core/ (tsx) and from dist/src/core/.

function findVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(url)) {
      const pkg = JSON.parse(readFileSync(url, 'utf8'));
      if (pkg.name === 'clawgate') return pkg.version;
    }
  }
  return '0.0.0';
}

/** The clawgate package version ('0.0.0' if its package.json cannot be found). */
export const VERSION = findVersion();
