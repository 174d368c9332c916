import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { resolveConfig, type GatewayConfig } from '../../src/config.js';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/main.js';
import { getJson, postJson } from './json-http.js';

// A real gateway on an ephemeral loopback port, in this process, for tests that assert from outside.

/** A gateway started by startTestGateway(). */
export interface TestGateway {
  gw: Gateway;
  url: string;
  port: number;
  config: GatewayConfig;
  close(): Promise<void>;
}

/**
 * A real gateway on an ephemeral loopback port with a fresh state dir (silent logs); `overrides` change the
 * defaults. close() cancels running runs at once (shutdown grace 0) unless `shutdownGraceMs` says otherwise.
 */
export async function startTestGateway(overrides: Partial<GatewayConfig> = {}, options: GatewayOptions = {}): Promise<TestGateway> {
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-test-'));
  const config: GatewayConfig = { ...resolveConfig({}), port: 0, stateDir, logLevel: 'silent', shutdownGraceMs: 0, ...overrides };
  const gw = await startGateway(config, pino({ level: 'silent' }), options);
  return {
    gw, config, port: gw.port, url: `http://127.0.0.1:${gw.port}`,
    async close() {
      await gw.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Re-exported for the tests that import them from here (they live in ./json-http.ts). */
export { getJson, postJson };

/** One SSE event of a whole response. */
export interface SseEvent {
  event: string;
  data: any;
}

/** Read a whole SSE response: the events in order and the comment lines seen. */
export async function readSse(res: Response): Promise<{ events: SseEvent[]; comments: string[] }> {
  const text = await res.text();
  const events: SseEvent[] = [];
  const comments: string[] = [];
  for (const block of text.split('\n\n')) {
    if (block.trim() === '') continue;
    let event = '';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) comments.push(line);
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data = line.slice(6);
    }
    if (event) events.push({ event, data: JSON.parse(data) });
  }
  return { events, comments };
}
