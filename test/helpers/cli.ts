import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

// Runs the built CLI (`dist/src/cli/main.js`, built by `npm run build`) as a child process. Every wait is bounded;
// `killAll()` ends whatever is still running (call it in `after`).

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built CLI entry point (`npm run build` makes it). */
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

/** Fails at once with a clear message when the CLI has not been built. */
export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
}

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

/** A fresh temp dir, removed by killAll(). */
export function tempDir(prefix = 'clawgate-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** The environment for a child: ours, minus anything that would change the gateway's configuration. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENCLAW_GATEWAY_TOKEN;
  delete env.TELEGRAM_BOT_TOKEN;
  delete env.UWS_USE_FALLBACK;
  delete env.NODE_OPTIONS; // no tsx loader or inspector inherited from the test runner
  return { ...env, ...extra };
}

/** How a CLI process ended, with everything it wrote. */
export interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The built CLI as a child process: its output as it arrives, bounded waits for `gateway ready` and for its exit. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  private readonly exited: Promise<Exited>;
  private waiters: (() => void)[] = [];

  constructor(args: string[], env: NodeJS.ProcessEnv = childEnv()) {
    this.child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(this.child);
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => { this.stdout += d; this.poke(); });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => { this.stderr += d; this.poke(); });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        children.delete(this.child);
        this.poke();
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  private poke(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when the process has exited; rejects (and kills it) after timeoutMs. */
  async exit(timeoutMs = 10_000): Promise<Exited> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`process did not exit within ${timeoutMs} ms\nstdout: ${this.stdout}\nstderr: ${this.stderr}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Parsed JSON log lines on stdout so far (throws on a line that is not JSON). */
  logLines(): Record<string, unknown>[] {
    return this.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`stdout line is not JSON: ${l}`);
      }
    });
  }

  /** Waits for the `gateway ready` log line and returns its port. */
  async ready(timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const line of this.stdout.split('\n')) {
        if (!line.includes('gateway ready')) continue;
        const rec = JSON.parse(line) as { msg?: string; port?: number };
        if (rec.msg === 'gateway ready' && typeof rec.port === 'number') return rec.port;
      }
      if (!this.running) throw new Error(`process exited before ready (code ${this.child.exitCode})\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "gateway ready" line within ${timeoutMs} ms\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.running) this.child.kill(signal);
  }
}

/** Exit code (and no signal), with the output in the message when it is not the expected one. */
export function exits(r: Exited, code: number): void {
  assert.equal(r.code, code, `exit code ${r.code}, expected ${code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.equal(r.signal, null);
}

/** A failure: the exit code, exactly one line on stderr prefixed `clawgate: `, nothing on stdout, no stack. */
export function failsWith(r: Exited, code: number, pattern?: RegExp): void {
  exits(r, code);
  assert.match(r.stderr, /^clawgate: [^\n]+\n$/, `one line on stderr: ${JSON.stringify(r.stderr)}`);
  assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/, 'no stack trace');
  assert.equal(r.stdout, '');
  if (pattern) assert.match(r.stderr, pattern);
}

/** Runs the CLI to completion (it is expected to exit by itself). */
export function runCli(args: string[], env?: NodeJS.ProcessEnv, timeoutMs = 10_000): Promise<Exited> {
  return new CliProcess(args, env).exit(timeoutMs);
}

/** Kills every child still running and removes the temp dirs. */
export async function killAll(): Promise<void> {
  await Promise.all([...children].map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    const t = setTimeout(resolve, 3000);
    c.once('close', () => { clearTimeout(t); resolve(); });
    c.kill('SIGKILL');
  })));
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}
