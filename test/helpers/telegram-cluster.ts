import { assertBuilt, killAll } from './cli.js';
import type { CliGateway } from './cli-gateway.js';
import { accountStates, startClusterGateways, telegramConfig } from './cluster-gateways.js';
import { type FakeOpenAI, startFakeOpenAI } from './fake-openai.js';
import { type FakeTelegram, startFakeTelegram } from './fake-telegram.js';
import { startNatsServer, type NatsServer } from './nats-server.js';

// One Telegram bot served by three gateways in cluster mode, on real processes: nats-server, the fake Bot API
// (`t_bot`), three CLI gateways on its token and, when asked, a fake OpenAI-compatible model they use instead
// of the mock. The channel tests of test/cluster/ each start one.

/** The three instances. */
export type Name = 'a' | 'b' | 'c';

/** What startTelegramCluster started. */
export interface TelegramCluster {
  nats: NatsServer;
  fake: FakeTelegram;
  /** The gateways' model (only with `model: true`). */
  model: FakeOpenAI | undefined;
  gw: Record<Name, CliGateway>;
  /** The instances whose process runs. */
  live(): Name[];
  /** The running instances whose account is online (the lease holder, once one took it). */
  online(): Name[];
  /** Kills the gateways, closes the fakes and stops nats-server. */
  close(): Promise<void>;
}

/** What the cluster's account and gateways are given. */
export interface TelegramClusterOptions {
  /** Prefix of the config file's temp dir. */
  prefix: string;
  /** The account's config lines (policies, allow lists, streaming). */
  account: string[];
  ttlMs: number;
  /** The gateways call a fake OpenAI-compatible model (`model`) instead of the mock. */
  model?: boolean;
  /** The mock streams a word per this many ms (default 0). */
  delayMs?: number;
  /** More flags for all three gateways. */
  args?: string[];
}

/** Starts a TelegramCluster; what started before a failure is stopped again. */
export async function startTelegramCluster(o: TelegramClusterOptions): Promise<TelegramCluster> {
  assertBuilt();
  let nats: NatsServer | undefined;
  let fake: FakeTelegram | undefined;
  let model: FakeOpenAI | undefined;
  const close = async () => {
    await killAll();
    await fake?.close();
    await model?.close();
    await nats?.stop();
  };
  try {
    nats = await startNatsServer();
    fake = await startFakeTelegram({ username: 't_bot' });
    if (o.model) model = await startFakeOpenAI();
    const config = telegramConfig(fake, o.prefix, o.account);
    const modelArgs = model ? ['--model', 'openai', '--openai-base-url', model.url] : [];
    const gw = await startClusterGateways(nats.url, o.ttlMs, o.delayMs ?? 0, ['--config', config, '--log-level', 'info', ...modelArgs, ...(o.args ?? [])]);
    const live = (): Name[] => (['a', 'b', 'c'] as const).filter((n) => gw[n].proc.running);
    const online = (): Name[] => live().filter((n) => accountStates(gw[n]).at(-1) === 'online');
    return { nats, fake, model, gw, live, online, close };
  } catch (err) {
    await close();
    throw err;
  }
}
