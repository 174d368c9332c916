import assert from 'node:assert/strict';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

// The browser test harness (web-surfaces.md §6, B1–B9): Debian's Chromium driven by playwright-core, one browser
// per test file and one context per test. A context aborts every request that leaves loopback and the test fails
// on it, on any page error and on any console error it did not expect; every test, passing or failing, leaves a
// full-page screenshot in test-artifacts/browser/<file>/<test>.png. Without a browser the tests are skipped,
// except under CI=true, where that is a failure.

/** What the suite says when no browser is found outside CI (B4). */
export const SKIP_LINE = 'skipped: browser tests: apt-get install --no-install-recommends chromium fonts-liberation';
/** What the suite fails with when no browser is found under CI=true (B4). */
export const CI_MISSING_LINE = "browser tests need Debian's chromium package (chromium on PATH)";

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The browser executable (B2): env CLAWGATE_CHROMIUM, else `chromium`, else `chromium-browser` on PATH. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CLAWGATE_CHROMIUM) return isExecutable(env.CLAWGATE_CHROMIUM) ? env.CLAWGATE_CHROMIUM : undefined;
  for (const name of ['chromium', 'chromium-browser']) {
    for (const dir of (env.PATH ?? '').split(delimiter)) {
      if (dir && isExecutable(join(dir, name))) return join(dir, name);
    }
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether a URL stays on this machine (or is no network request at all); `lan.test` is mapped to 127.0.0.1 (B2). */
export function isLoopbackUrl(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:' || protocol === 'about:') return true;
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname) || hostname === 'lan.test';
}

/** One WebSocket frame the page sent or received. */
export interface Frame {
  dir: 'sent' | 'received';
  url: string;
  payload: string;
}

/** A page of one test, with what the harness watched. */
export interface TestPage {
  page: Page;
  context: BrowserContext;
  /** Every WS frame so far (B5), in order. */
  frames(): Frame[];
  /** The sent or received frames parsed as JSON (text frames only). */
  json(dir: Frame['dir']): Record<string, any>[];
  /** Every request URL the page made (HTTP and WebSocket). */
  requests(): string[];
  /** Lets console errors matching `pattern` pass (B6). */
  expectConsoleError(pattern: RegExp): void;
  /** Saves the screenshot (B8), closes the context, then fails on page errors, console errors or outside requests. */
  finish(): Promise<void>;
}

/** The browser of one test file; `skip` is the reason to skip (false when there is a browser). */
export interface BrowserHarness {
  skip: string | false;
  /** A fresh context and page for the test named `name`. */
  open(name: string): Promise<TestPage>;
  close(): Promise<void>;
}

let printedSkip = false;

/**
 * Launches the browser for the test file `fileUrl` (its import.meta.url). Without one it returns a harness whose
 * `skip` says why (printed once), or throws under CI=true. `args` go to Chromium, e.g.
 * `--host-resolver-rules=MAP lan.test 127.0.0.1` for a non-secure LAN-like origin that stays on loopback (B2).
 */
export async function browserHarness(fileUrl: string, options: { args?: string[] } = {}): Promise<BrowserHarness> {
  const executablePath = findChromium();
  if (!executablePath) {
    if (process.env.CI === 'true') throw new Error(CI_MISSING_LINE);
    if (!printedSkip) console.log(SKIP_LINE);
    printedSkip = true;
    return { skip: SKIP_LINE, open: () => Promise.reject(new Error(SKIP_LINE)), close: async () => {} };
  }
  const browser: Browser = await chromium.launch({ executablePath, ...(options.args ? { args: options.args } : {}) });
  const pw = createRequire(import.meta.url)('playwright-core/package.json') as { version: string };
  console.log(`chromium ${browser.version()}, playwright-core ${pw.version}`);
  const dir = join(ROOT, 'test-artifacts/browser', basename(fileURLToPath(fileUrl)).replace(/\.test\.ts$/, ''));
  return {
    skip: false,
    open: (name) => openPage(browser, join(dir, `${name.replace(/[^\w.-]+/g, '-')}.png`)),
    close: () => browser.close(),
  };
}

async function openPage(browser: Browser, screenshot: string): Promise<TestPage> {
  const context = await browser.newContext();
  const outside: string[] = [];
  const problems: string[] = [];
  const allowed: RegExp[] = [];
  const frames: Frame[] = [];
  const requests: string[] = [];
  // B6: nothing leaves loopback, which also proves that no page needs a CDN
  await context.route('**', (route) => {
    const url = route.request().url();
    if (isLoopbackUrl(url)) return route.continue();
    outside.push(url);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !allowed.some((re) => re.test(msg.text()))) problems.push(`console error: ${msg.text()}`);
  });
  page.on('websocket', (ws) => {
    requests.push(ws.url());
    if (!isLoopbackUrl(ws.url())) outside.push(ws.url());
    ws.on('framesent', (f) => frames.push({ dir: 'sent', url: ws.url(), payload: String(f.payload) }));
    ws.on('framereceived', (f) => frames.push({ dir: 'received', url: ws.url(), payload: String(f.payload) }));
  });
  return {
    page, context,
    frames: () => [...frames],
    json: (dir) => frames.filter((f) => f.dir === dir).flatMap((f) => {
      try {
        return [JSON.parse(f.payload) as Record<string, any>];
      } catch {
        return [];
      }
    }),
    requests: () => [...requests],
    expectConsoleError: (pattern) => void allowed.push(pattern),
    async finish() {
      mkdirSync(join(screenshot, '..'), { recursive: true });
      await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {}); // a crashed page has none
      await context.close();
      assert.deepEqual(outside, [], 'no request leaves loopback');
      assert.deepEqual(problems, [], 'no page error and no unexpected console error');
    },
  };
}
