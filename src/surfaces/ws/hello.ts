import { PreEncoded } from '../../../protocol/encode.js';
import type { Presence } from './presence.js';
import type { Health } from './health.js';

// The hello-ok payload (openclaw-protocol.md §5): server info, features, snapshot, auth and policy. Every
// connect gets one, and most of it (the method and event lists, policy, session defaults) is the same for all:
// that part is serialized once, the presence list and health snapshot once per version, and per connection
// only its id, uptime, auth and extra fields are written into the text.

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

/** What a connection was granted, as hello-ok shows it. */
export interface HelloGrant {
  method: string;
  role: string;
  scopes: string[];
}

/** One JSON text per version of a versioned value (the presence list, the health snapshot). */
class VersionedJson {
  private version = -1;
  private json = '';
  constructor(private readonly versionOf: () => number, private readonly current: () => unknown) {}
  get(): string {
    const version = this.versionOf();
    if (version !== this.version) {
      this.json = JSON.stringify(this.current());
      this.version = version;
    }
    return this.json;
  }
}

/**
 * Builds hello-ok payloads from one template (see the file comment): `build` gives the payload of one admitted
 * connection, already serialized; the state dir is shown to operator.admin only.
 */
export function helloTemplate(src: HelloSources): (connId: string, auth: HelloGrant, extra?: Record<string, unknown>) => PreEncoded {
  const { presence, health } = src;
  const head = `{"type":"hello-ok","protocol":4,"server":{"version":${JSON.stringify(src.version)},"connId":`;
  const features = `},"features":${JSON.stringify({ methods: src.methods, events: src.events })},"snapshot":{"presence":`;
  const defaults = `,"sessionDefaults":${JSON.stringify({ defaultAgentId: 'main', mainKey: 'main', mainSessionKey: 'agent:main:main' })},"authMode":${JSON.stringify(src.authMode)}`;
  const stateDir = `,"stateDir":${JSON.stringify(src.stateDir)}`;
  const policy = `,"policy":${JSON.stringify({ maxPayload: MAX_PAYLOAD, maxBufferedBytes: src.maxBufferedBytes, tickIntervalMs: src.tickIntervalMs })}`;
  const presenceJson = new VersionedJson(() => presence.version, () => presence.list());
  const healthJson = new VersionedJson(() => health.version, () => health.current());

  return (connId, auth, extra) => {
    const admin = auth.scopes.includes('operator.admin');
    let json = `${head}${JSON.stringify(connId)}${features}${presenceJson.get()},"health":${healthJson.get()}`
      + `,"stateVersion":{"presence":${presence.version},"health":${health.version}},"uptimeMs":${Date.now() - src.startedAt}`
      + `${defaults}${admin ? stateDir : ''}},"auth":${JSON.stringify(auth)}${policy}`;
    if (extra) {
      for (const k in extra) {
        const text = JSON.stringify(extra[k]);
        if (text !== undefined) json += `,${JSON.stringify(k)}:${text}`;
      }
    }
    return new PreEncoded(`${json}}`);
  };
}
