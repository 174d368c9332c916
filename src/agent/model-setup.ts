import type { Runner } from '../core/run.js';

// The operator's model set-up applied to every run before the provider sees it: a catalog alias becomes
// the provider's model name (`fast` → `gpt-4o-mini`), and the gateway's system prompt comes first, the
// request's own after it (one system message: some local models accept only one).

/** The gateway-wide model set-up (a slice of the configuration). */
export interface ModelSetup {
  /** Catalog alias → provider model name; names not listed pass unchanged. */
  modelAliases?: Readonly<Record<string, string>>;
  /** The system message of every run. */
  systemPrompt?: string;
}

/** Wraps a runner so each run's model name is resolved and the gateway's system prompt leads. */
export function withModelSetup(runner: Runner, setup: ModelSetup): Runner {
  const aliases = setup.modelAliases;
  const base = setup.systemPrompt;
  if (!base && !aliases) return runner;
  return {
    run(input, signal) {
      const model = input.model && aliases && Object.hasOwn(aliases, input.model) ? aliases[input.model] : input.model;
      const systemPrompt = base ? (input.systemPrompt ? `${base}\n\n${input.systemPrompt}` : base) : input.systemPrompt;
      return runner.run({ ...input, model, systemPrompt }, signal);
    },
  };
}
