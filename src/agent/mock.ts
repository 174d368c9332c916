import { setTimeout as sleep } from 'node:timers/promises';
import type { RunEvent, RunInput, Runner } from '../core/run.js';

/**
 * The built-in mock model: replies `Echo: <text>`. With a delay it streams one whitespace-separated word
 * (with its trailing whitespace) per chunk, waiting `delayMs` before each, so queues and cancel can be seen.
 */
export function createMockRunner(opts: { delayMs?: number } = {}): Runner {
  const delayMs = opts.delayMs ?? 0;
  return {
    async *run(input: RunInput, signal: AbortSignal): AsyncIterable<RunEvent> {
      const reply = `Echo: ${input.text}`;
      if (delayMs <= 0) {
        yield { type: 'delta', text: reply };
        return;
      }
      for (const chunk of reply.match(/\S+\s*/g) ?? [reply]) {
        await sleep(delayMs, undefined, { signal });
        yield { type: 'delta', text: chunk };
      }
    },
  };
}
