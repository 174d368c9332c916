import type { CheckResult } from './doctor-checks.js';

// `clawgate doctor`: one check per enabled Signal account, with plain fetches to its signal-cli-rest-api server:
// `GET /v1/about` (is the server there, in which mode) and `GET /v1/accounts` (is the number registered or linked).

/** What the check needs of a Signal account (a `SignalAccountConfig` fits). */
export interface SignalProbeTarget {
  accountId: string;
  apiUrl: string;
  account: string;
}

/** How long each request may take. */
export const SIGNAL_PROBE_TIMEOUT_MS = 5_000;

async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`HTTP ${res.status} from ${new URL(url).pathname}`);
  return res.json();
}

/** The server's mode and the account's registration, or the reason it cannot be used. */
export async function checkSignalAccount(a: SignalProbeTarget, timeoutMs = SIGNAL_PROBE_TIMEOUT_MS): Promise<CheckResult> {
  const name = `signal/${a.accountId}`;
  let about: { mode?: unknown };
  try {
    about = (await getJson(`${a.apiUrl}/v1/about`, timeoutMs)) as { mode?: unknown };
  } catch (err) {
    const e = err as Error & { cause?: NodeJS.ErrnoException };
    const reason = e.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : e.cause?.code ?? e.message;
    return { check: 'signal', ok: false, detail: `${name}: signal-cli-rest-api unreachable at ${a.apiUrl}: ${reason}`, fix: 'start the signal-cli-rest-api container (see the README) or fix api-url' };
  }
  try {
    const accounts = await getJson(`${a.apiUrl}/v1/accounts`, timeoutMs);
    if (!Array.isArray(accounts) || !accounts.includes(a.account)) {
      return { check: 'signal', ok: false, detail: `${name}: account ${a.account} is not registered or linked on the signal-cli-rest-api server`, fix: 'link or register the number on that server (see the README)' };
    }
  } catch (err) {
    return { check: 'signal', ok: false, detail: `${name}: GET /v1/accounts failed: ${(err as Error).message}`, fix: 'check the signal-cli-rest-api server' };
  }
  return { check: 'signal', ok: true, detail: `${name}: ${a.account} on ${a.apiUrl} (mode ${String(about.mode ?? 'unknown')})` };
}

/** One check per enabled Signal account (concurrently: each is bounded). */
export function checkSignal(accounts: readonly SignalProbeTarget[], timeoutMs?: number): Promise<CheckResult[]> {
  return Promise.all(accounts.map((a) => checkSignalAccount(a, timeoutMs)));
}
