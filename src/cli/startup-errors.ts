import { ListenError } from '../core/errors.js';
import { StartupError } from '../core/startup-error.js';

// How `clawgate gateway` reports a failed start: one line on stderr, never a stack trace. The failures a person
// can fix by configuration (a held lock, an unusable state dir or database, a port in use) exit 78 (EX_CONFIG),
// which a systemd unit with RestartPreventExitStatus=78 does not restart in a loop; anything else exits 1.

/** The exit code for a start-up failure that configuration can fix (sysexits EX_CONFIG). */
export const EX_CONFIG = 78;

/** The stderr line (without the `clawgate: ` prefix) and the exit code for an error thrown while starting. */
export function describeStartupFailure(err: unknown): { message: string; code: number } {
  if (err instanceof StartupError || err instanceof ListenError) return { message: err.message, code: EX_CONFIG };
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | undefined)?.code;
  return { message: `the gateway failed to start: ${message}${typeof code === 'string' ? ` (${code})` : ''}`, code: 1 };
}
