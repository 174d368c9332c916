import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCliGatewayOn, type CliGateway } from './cli-gateway.js';
import { tempDir } from './cli.js';
import type { FakeTelegram } from './fake-telegram.js';
import { postJson, type JsonAnswer } from './json-http.js';
import { TOKEN } from './ws-client.js';

// Three built CLI gateways in cluster mode on one nats-server, and the HTTP exchanges the cluster tests make
// with them (test/cluster/ownership-gateways.test.ts, failover-100.test.ts). Stop them with killAll() from ./cli.js.

/** The bearer header of the gateways started here. */
export const clusterAuth = { authorization: `Bearer ${TOKEN}` };

/** A message of `n` words: the mock streams one word per `--mock-delay-ms`, so it runs about n × that delay. */
export const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');

/**
 * Gateways gw-a, gw-b, gw-c on the NATS server at `natsUrl`, lease TTL `ttlMs`, the mock model streaming a word
 * per `delayMs`; `extra` flags for all three (e.g. `--recovery fail`, another model).
 */
export async function startClusterGateways(natsUrl: string, ttlMs: number, delayMs: number, extra: string[] = []): Promise<Record<'a' | 'b' | 'c', CliGateway>> {
  const [a, b, c] = await Promise.all((['a', 'b', 'c'] as const).map((id) =>
    startCliGatewayOn(tempDir('clawgate-owners-'), TOKEN, ['--nats-url', natsUrl, '--instance-id', `gw-${id}`, '--mock-delay-ms', String(delayMs), '--lease-ttl-ms', String(ttlMs), ...extra], 20_000)));
  return { a, b, c };
}

/** `GET /v1/gateway/status?request_id=` on `g`. */
export async function runStatus(g: CliGateway, id: string): Promise<JsonAnswer> {
  const res = await fetch(`${g.url}/v1/gateway/status?request_id=${encodeURIComponent(id)}`, { headers: clusterAuth, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, headers: res.headers, json: await res.json() };
}

/** How long a message's POST may take before the test gives up on it (the runs of these tests take seconds). */
const SEND_TIMEOUT_MS = 60_000;

/**
 * `POST /v1/gateway/messages` on `g`: answers once the run has ended (or the message is refused); rejects after
 * SEND_TIMEOUT_MS. Bounded because a request cut off by a SIGKILLed gateway was once seen never to settle,
 * which hung its test file (and would hang the suite).
 */
export function sendMessage(g: CliGateway, session: string, requestId: string, text: string): Promise<JsonAnswer> {
  return postJson(`${g.url}/v1/gateway/messages`, { session_id: session, request_id: requestId, user_id: 'u1', text },
    { headers: clusterAuth, signal: AbortSignal.timeout(SEND_TIMEOUT_MS) });
}

/** How many runs completed on `g` (its `/metrics`, which count this instance only). */
export async function completedRuns(g: CliGateway): Promise<number> {
  const text = await (await fetch(`${g.url}/metrics`, { headers: clusterAuth, signal: AbortSignal.timeout(10_000) })).text();
  return Number(/^clawgate_runs_total\{outcome="completed"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

/** The states `g` logged for its channel account, in order (the gateway must run with `--log-level info`). */
export function accountStates(g: CliGateway): string[] {
  return g.proc.logLines().filter((l) => l.msg === 'channel account state').map((l) => String(l.state));
}

/**
 * A config file (in a new temp dir named after `prefix`) enabling Telegram on `fake`'s Bot API, with `lines`
 * added to the account (`dm-policy`, `allow-from`, …, each indented as an account key); its path.
 */
export function telegramConfig(fake: FakeTelegram, prefix: string, lines: string[]): string {
  const config = join(tempDir(prefix), 'clawgate.yaml');
  writeFileSync(config, [
    'channels:', '  telegram:', `    bot-token: "${fake.token}"`, `    api-root: "${fake.apiRoot}"`, ...lines.map((l) => `    ${l}`),
  ].join('\n'));
  return config;
}
