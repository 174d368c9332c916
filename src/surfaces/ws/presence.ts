import { hostname } from 'node:os';

// Who is connected (openclaw-protocol.md §5.2): the gateway's own entry plus one per non-ephemeral client.
// Every change bumps the presence version; the caller broadcasts the `presence` event.

/** One presence entry: the gateway's own or a connected client's. */
export type PresenceEntry = Record<string, unknown> & { ts: number };

const EPHEMERAL_MODES = new Set(['cli', 'backend', 'probe']);

/** The versioned presence list: the gateway itself plus the connected non-ephemeral clients. */
export class Presence {
  private readonly clients = new Map<string, PresenceEntry>();
  private readonly self: PresenceEntry;
  version = 1;

  constructor(info: { version: string; ip: string }, private readonly onChange: () => void) {
    const host = hostname();
    this.self = {
      ts: Date.now(), host, ip: info.ip, version: info.version, platform: process.platform,
      mode: 'gateway', reason: 'self', roles: [],
      text: `Gateway: ${host} (${info.ip}) · app ${info.version} · mode gateway · reason self`,
    };
  }

  list(): PresenceEntry[] {
    return [this.self, ...this.clients.values()];
  }

  /** Adds a connected client unless it is ephemeral (cli, backend, probe). */
  add(connId: string, client: Record<string, unknown>, extra: { ip: string; role: string; scopes: string[]; deviceId?: string }): void {
    if (EPHEMERAL_MODES.has(String(client.mode))) return;
    const now = Date.now();
    const entry: PresenceEntry = { ts: now, onlineSince: now, ip: extra.ip, reason: 'connect', roles: [extra.role], scopes: extra.scopes };
    for (const k of ['displayName', 'version', 'platform', 'deviceFamily', 'modelIdentifier', 'mode', 'instanceId'] as const) {
      if (typeof client[k] === 'string') entry[k === 'displayName' ? 'host' : k] = client[k];
    }
    if (typeof client.id === 'string') entry.clientId = client.id;
    if (extra.deviceId) entry.deviceId = extra.deviceId;
    this.clients.set(connId, entry);
    this.version++;
    this.onChange();
  }

  remove(connId: string): void {
    if (!this.clients.delete(connId)) return;
    this.version++;
    this.onChange();
  }
}
