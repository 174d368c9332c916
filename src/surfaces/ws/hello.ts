import type { Presence } from './presence.js';
import type { Health } from './health.js';

// The hello-ok payload (openclaw-protocol.md §5): server info, features, snapshot, auth and policy.

/** The largest frame a client may send after hello (25 MiB), announced as `policy.maxPayload`. */
export const MAX_PAYLOAD = 26_214_400;

/** The gateway-wide facts that go into every hello-ok. */
export interface HelloSources {
  version: string;
  startedAt: number;
  stateDir: string;
  authMode: 'none' | 'token';
  tickIntervalMs: number;
  maxBufferedBytes: number;
  methods: string[];
  events: string[];
  presence: Presence;
  health: Health;
}

/** The hello-ok payload for one admitted connection; the state dir is shown to operator.admin only. */
export function buildHello(src: HelloSources, connId: string, auth: { method: string; role: string; scopes: string[] },
  extra: Record<string, unknown> = {}): Record<string, unknown> {
  const admin = auth.scopes.includes('operator.admin');
  return {
    type: 'hello-ok',
    protocol: 4,
    server: { version: src.version, connId },
    features: { methods: src.methods, events: src.events },
    snapshot: {
      presence: src.presence.list(),
      health: src.health.current(),
      stateVersion: { presence: src.presence.version, health: src.health.version },
      uptimeMs: Date.now() - src.startedAt,
      sessionDefaults: { defaultAgentId: 'main', mainKey: 'main', mainSessionKey: 'agent:main:main' },
      authMode: src.authMode,
      ...(admin ? { stateDir: src.stateDir } : {}),
    },
    auth,
    policy: { maxPayload: MAX_PAYLOAD, maxBufferedBytes: src.maxBufferedBytes, tickIntervalMs: src.tickIntervalMs },
    ...extra,
  };
}
