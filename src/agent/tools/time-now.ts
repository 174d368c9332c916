import type { Tool } from './registry.js';

// `time.now`: the current time, so the model does not guess today's date. Optionally in an IANA zone.

/** The `time.now` tool; `now` is injectable for tests. */
export function createTimeNowTool(now: () => number = Date.now): Tool {
  return {
    name: 'time.now',
    description: 'Returns the current date and time (ISO 8601 UTC, Unix ms, and local time in the given IANA time zone).',
    parameters: {
      type: 'object',
      properties: { timezone: { type: 'string', description: 'IANA time zone such as Europe/Paris; default UTC' } },
      additionalProperties: false,
    },
    async run(args) {
      const ms = now();
      const timezone = typeof args.timezone === 'string' && args.timezone.trim() !== '' ? args.timezone.trim() : 'UTC';
      let local: string;
      try {
        local = new Intl.DateTimeFormat('en-CA', {
          timeZone: timezone, dateStyle: 'full', timeStyle: 'long', hourCycle: 'h23',
        }).format(new Date(ms));
      } catch {
        throw new Error(`unknown time zone "${timezone}"`);
      }
      return { iso: new Date(ms).toISOString(), unixMs: ms, timezone, local };
    },
  };
}
