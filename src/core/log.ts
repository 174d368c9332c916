import { pino, type Logger } from 'pino';

// Structured JSON logs to stdout; pretty when a person is watching. Secrets never reach a log line:
// known secret-bearing keys are redacted wherever they appear.

export type { Logger };

/** The gateway's pino logger at `level`, with secret-bearing keys redacted. */
export function createLogger(level: string): Logger {
  const pretty = process.stdout.isTTY === true;
  return pino({
    level,
    base: { name: 'clawgate' },
    redact: {
      paths: ['token', '*.token', 'auth', '*.auth', 'authorization', '*.authorization', 'deviceToken', '*.deviceToken', 'password', '*.password',
        // channel credentials (spec channels.md §7)
        'botToken', '*.botToken', '"bot-token"', '*["bot-token"]', 'secret', '*.secret', 'creds', '*.creds'],
      censor: '[redacted]',
    },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  });
}
