// Where this browser keeps its gateway secret and device tokens (web-surfaces W3, W5): sessionStorage, or
// localStorage once "Remember on this browser" was ticked. Every key starts with `clawgate:<origin><base>:`, so
// two gateways under one origin (`/a/`, `/b/`) never share a secret or a token (OpenClaw #97636).
import type { DeviceTokenStore, StoredDeviceToken } from '../../src/client/index.ts';

/** The page's credentials for one `<base>`. */
export interface CredentialStore {
  /** `clawgate:<origin><base>:`, the prefix of every key (and of the IndexedDB record). */
  readonly prefix: string;
  /** The stored gateway secret (token or password). */
  secret(): string | undefined;
  /** Stores `secret`, in localStorage when `remember`, else in sessionStorage; the choice also holds for device tokens. */
  saveSecret(secret: string, remember: boolean): void;
  /** Deletes the stored secret (it was refused). */
  dropSecret(): void;
  /** Whether "Remember on this browser" was ticked. */
  remembered(): boolean;
  /** The device tokens the gateway issues, by (deviceId, role), for the client's `tokenStore`. */
  readonly tokenStore: DeviceTokenStore;
  /** Whether a device token is stored for (deviceId, role). */
  hasDeviceToken(deviceId: string, role: string): boolean;
  /** Deletes every key of this `<base>` from both storages. */
  forget(): void;
}

/** The two Web Storage areas (injectable for tests). */
export interface StorageAreas {
  local: Storage;
  session: Storage;
}

/** The credential store of `prefix` (see `storagePrefix`). */
export function credentialStore(prefix: string, areas: StorageAreas = { local: localStorage, session: sessionStorage }): CredentialStore {
  const key = (name: string) => `${prefix}${name}`;
  const tokenKey = (deviceId: string, role: string) => key(`deviceToken:${deviceId}:${role}`);
  const read = (name: string) => safely(() => areas.local.getItem(name) ?? areas.session.getItem(name)) ?? undefined;
  const remembered = () => safely(() => areas.local.getItem(key('remember'))) === '1';
  // a value lives in exactly one area: the one the Remember choice names
  const write = (name: string, value: string) => {
    const [keep, other] = remembered() ? [areas.local, areas.session] : [areas.session, areas.local];
    safely(() => keep.setItem(name, value));
    safely(() => other.removeItem(name));
  };
  const remove = (name: string) => {
    safely(() => areas.local.removeItem(name));
    safely(() => areas.session.removeItem(name));
  };
  return {
    prefix,
    secret: () => read(key('secret')),
    saveSecret(secret, remember) {
      if (remember) safely(() => areas.local.setItem(key('remember'), '1'));
      else safely(() => areas.local.removeItem(key('remember')));
      write(key('secret'), secret);
    },
    dropSecret: () => remove(key('secret')),
    remembered,
    tokenStore: {
      get: (deviceId, role) => parseToken(read(tokenKey(deviceId, role))),
      set: (deviceId, role, value) => write(tokenKey(deviceId, role), JSON.stringify({ token: value.token, scopes: value.scopes })),
      delete: (deviceId, role) => remove(tokenKey(deviceId, role)),
    },
    hasDeviceToken: (deviceId, role) => parseToken(read(tokenKey(deviceId, role))) !== undefined,
    forget() {
      for (const area of [areas.local, areas.session]) {
        const names = safely(() => Array.from({ length: area.length }, (_, i) => area.key(i))) ?? [];
        for (const name of names) if (name?.startsWith(prefix)) safely(() => area.removeItem(name));
      }
    },
  };
}

/** `clawgate:<origin><base>:` (W3). */
export function storagePrefix(origin: string, base: string): string {
  return `clawgate:${origin}${base}:`;
}

function parseToken(text: string | undefined): StoredDeviceToken | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<StoredDeviceToken>;
    if (typeof value.token !== 'string' || !Array.isArray(value.scopes)) return undefined;
    return { token: value.token, scopes: value.scopes.filter((s): s is string => typeof s === 'string') };
  } catch {
    return undefined; // a damaged entry is as good as none: the secret or the form takes over
  }
}

// storage can be switched off or full; the page then works for this visit only
function safely<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
