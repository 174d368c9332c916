// A start-up failure a person can act on: the message names the path involved and what to do. The CLI prints
// it as one line and exits 78 (EX_CONFIG), which a service unit's RestartPreventExitStatus=78 does not restart.

/** A start-up failure whose message says what is wrong, where, and how to fix it (the CLI exits 78, no stack). */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}
