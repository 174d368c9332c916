import assert from 'node:assert/strict';
import { createMockRunner } from '../../src/agent/mock.js';
import type { RunInput, Runner } from '../../src/core/run.js';

/** A runner whose "hold…" messages wait for the test, and the inputs it was given. */
export interface GatedRunner {
  runner: Runner;
  /** Every input the runner was asked to run, in order. */
  inputs: RunInput[];
  /** Lets the held run `runId` go on (it fails the test if that run is not held). */
  release(runId: string): void;
}

/**
 * The mock model (one word per `delayMs`), except that a message whose text starts with "hold" waits for
 * release(runId), or for its run to be stopped: "the session is busy" then never depends on timing.
 */
export function gatedRunner(delayMs = 0): GatedRunner {
  const mock = createMockRunner({ delayMs });
  const releases = new Map<string, () => void>();
  const inputs: RunInput[] = [];
  return {
    inputs,
    runner: {
      async *run(input, signal) {
        inputs.push(input);
        if (input.text.startsWith('hold')) {
          await new Promise<void>((resolve, reject) => {
            releases.set(input.runId, resolve);
            signal.addEventListener('abort', () => reject(signal.reason), { once: true });
          });
        }
        yield* mock.run(input, signal);
      },
    },
    release(runId) {
      const r = releases.get(runId);
      assert.ok(r, `run ${runId} is not held`);
      r();
    },
  };
}
