// How a bench process starts and ends: whichever way it ends (return, throw, signal, watchdog), its children
// are SIGKILLed and its temp dirs removed, so an interrupted run leaves nothing behind on a shared machine.
import { killAllNow } from './processes.js';
import { removeTempDirs } from './temp-dirs.js';

/**
 * Installs the exit and signal handlers, then runs `main` and exits with its code.
 * `name` prefixes the messages (e.g. `bench:http`), `stopping` says what a signal stops.
 */
export function runBench(name: string, stopping: string, main: () => Promise<number>): void {
  process.on('exit', () => {
    killAllNow();
    removeTempDirs();
  });
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.on(signal, () => {
      process.stderr.write(`\n${name}: ${signal}, ${stopping}\n`);
      killAllNow();
      process.exit(code);
    });
  }
  main().then((code) => process.exit(code), (err: unknown) => {
    process.stderr.write(`${name} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    killAllNow();
    process.exit(1);
  });
}

/** A hard wall-time limit: a run that takes far longer than planned is ended, children and all. */
export function startWatchdog(name: string, budgetS: number): void {
  setTimeout(() => {
    process.stderr.write(`${name}: still running after ${budgetS} s, giving up\n`);
    killAllNow();
    process.exit(1);
  }, budgetS * 1000).unref();
}
