import { existsSync, readFileSync } from 'node:fs';

// The package version, from the nearest package.json named `clawgate` above this module: it runs from src/core/
// (tsx), from dist/src/core/ and from the gateway bundle in dist/gateway/.

function findVersion(): string {
  for (let url = new URL('./package.json', import.meta.url); ; url = new URL('../package.json', url)) {
    if (existsSync(url)) {
      const pkg = JSON.parse(readFileSync(url, 'utf8'));
      if (pkg.name === 'clawgate') return pkg.version;
    }
    if (url.pathname === '/package.json') return '0.0.0';
  }
}

/** The clawgate package version ('0.0.0' if its package.json cannot be found). */
export const VERSION = findVersion();
