import { mkdirSync } from 'node:fs';
import type { GatewayConfig } from './config.js';
import type { Logger } from './log.js';
import { createBus, type Bus } from './bus.js';
import { createMockRunner } from './agent/mock.js';
import type { Runner } from './agent/runner.js';
import { RunRegistry } from './actors/run-registry.js';
import { SessionRegistry } from './actors/session-registry.js';
import { createRunExecutor } from './actors/run-executor.js';
import { DEFAULT_PART_POLICY } from './http/content-parts.js';
import { createRoutes } from './http/routes.js';
import { startServer, type ListeningServer } from './transport/server.js';

// The composition root: config → bus, registries, runner → surfaces → transport.

export interface Gateway {
  port: number;
  bus: Bus;
  runs: RunRegistry;
  sessions: SessionRegistry;
  /** Stop admitting, cancel what is queued or running, close every socket. */
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** Replaces the configured model (tests use this for failing or scripted runners). */
  runner?: Runner;
}

export async function startGateway(config: GatewayConfig, log: Logger, options: GatewayOptions = {}): Promise<Gateway> {
  const startedAt = Date.now();
  mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
  const bus = createBus();
  const runs = new RunRegistry(bus, { retentionMs: config.runRetentionMs, retentionMax: config.runRetentionMax });
  const runner = options.runner ?? createMockRunner({ delayMs: config.mockDelayMs });
  const sessions = new SessionRegistry({
    bus, runs, executeRun: createRunExecutor({ runner, bus }), idleMs: config.sessionIdleMs,
  });
  let draining = false;

  const routes = createRoutes({
    sessions, runs,
    token: config.token,
    sseKeepaliveMs: config.sseKeepaliveMs,
    startedAt,
    isReady: () => (draining ? { ready: false, failing: ['draining'] } : { ready: true, failing: [] }),
    admit: {
      allowUsers: config.allowUsers ? new Set(config.allowUsers) : undefined,
      requireMention: config.requireMention,
      mentionPatterns: config.mentionPatterns,
      modelCatalog: config.modelCatalog ? new Set(config.modelCatalog) : undefined,
      partPolicy: { ...DEFAULT_PART_POLICY, allowPrivateHosts: config.allowPrivatePartUrls },
    },
  });
  const server: ListeningServer = await startServer({
    bind: config.bind, port: config.port, routes,
    maxBodyBytes: config.maxBodyBytes, bodyTimeoutMs: config.bodyTimeoutMs, log,
  });
  log.info({ bind: config.bind, port: server.port, model: config.model, authMode: config.token ? 'token' : 'none' }, 'gateway ready');

  return {
    port: server.port, bus, runs, sessions,
    async close() {
      if (draining) return;
      draining = true;
      sessions.stopAll();
      // let the cancelled runs' answers reach their clients before the sockets close
      await new Promise((r) => setImmediate(r));
      server.close();
    },
  };
}
