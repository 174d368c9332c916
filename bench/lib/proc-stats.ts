// CPU time and memory of another process, read from /proc: the servers under test are child processes,
// so process.cpuUsage()/memoryUsage() cannot see them. Linux only; elsewhere the readings are NaN.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const HAVE_PROC = existsSync('/proc/self/stat');

/** Clock ticks per second, the unit of utime/stime in /proc/<pid>/stat (100 if getconf cannot tell). */
export const CLK_TCK = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process (all its threads), in clock ticks: fields 14 and 15 of /proc/<pid>/stat. */
export function cpuTicks(pid: number): number {
  if (!HAVE_PROC) return NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 (state)
  return Number(fields[14 - 3]) + Number(fields[15 - 3]);
}

/** utime + stime of a process (all its threads), in µs. */
export function cpuUs(pid: number): number {
  return (cpuTicks(pid) / CLK_TCK) * 1e6;
}

/** A `Vm…` line of /proc/<pid>/status in KiB. */
export function vmKiB(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  if (!HAVE_PROC) return NaN;
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** Open file descriptors of a process (its sockets, mostly), NaN if /proc/<pid>/fd cannot be listed. */
export function openFds(pid: number): number {
  try {
    return execFileSync('ls', [`/proc/${pid}/fd`], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
  } catch {
    return NaN;
  }
}
