import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';

// Structured JSON logs to stdout; pretty when a person is watching. Secrets never reach a log line:
// known secret-bearing keys are redacted wherever they appear.

export type { Logger };

/** The gateway's pino logger at `level`, with secret-bearing keys redacted. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { name: 'clawgate' },
    redact: {
      paths: ['token', '*.token', 'auth', '*.auth', 'authorization', '*.authorization', 'deviceToken', '*.deviceToken', 'password', '*.password',
        // channel credentials (spec channels.md §7)
        'botToken', '*.botToken', '"bot-token"', '*["bot-token"]', 'secret', '*.secret', 'creds', '*.creds'],
      censor: '[redacted]',
    },
  }, process.stdout.isTTY === true ? prettyStdout() : undefined);
}

/**
 * A terminal's lines, formatted by pino-pretty in this process and written synchronously: loaded only for a
 * terminal, with no transport worker thread to start (nor its files to find, which the gateway bundle has not).
 */
function prettyStdout(): DestinationStream {
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  const format = prettyFactory({ colorize: true, translateTime: 'SYS:HH:MM:ss.l' });
  return { write: (line: string) => { process.stdout.write(format(line)); } };
}
