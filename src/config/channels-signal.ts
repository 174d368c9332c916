import type { SignalAccountConfig } from '../core/channel.js';
import { accountLayers, commonSettings, completeAccount, type AccountLayer, type CommonSettings } from './channel-accounts.js';
import { e164 } from './channel-ids.js';
import { readBool } from './channel-keys.js';
import { ConfigError } from './gateway-config.js';

// `channels.signal` (spec channels.md §2.2–2.3): a signal-cli-rest-api server (`api-url`, inherited by
// accounts) and the account's own number (`account`, never inherited: without one at the top level there is no
// account `default`).

const SIGNAL_KEYS = ['api-url', 'account', 'send-read-receipts'] as const;

/** The Signal settings one layer gives (absent = not given there). */
interface SignalSettings {
  apiUrl?: string;
  account?: string;
  sendReadReceipts?: boolean;
}

/**
 * The accounts of `channels.signal`: `default` when the top level names an `account`, then each `accounts`
 * entry. Enabled accounts need `api-url` and `account`; disabled ones are kept as given.
 */
export function signalAccounts(block: unknown, file: string): SignalAccountConfig[] {
  const { top, accounts } = accountLayers('signal', block, file, SIGNAL_KEYS);
  const topCommon = commonSettings('signal', top, file);
  const topOwn = signalSettings(top);
  const layers = accounts.map((layer) => ({ layer, common: commonSettings('signal', layer, file), own: signalSettings(layer) }));
  const resolved: SignalAccountConfig[] = [];
  const topEnabled = topCommon.enabled ?? true;
  if (topOwn.account !== undefined || (layers.length === 0 && !topEnabled)) {
    resolved.push(signalAccount(top, topCommon, {}, topOwn));
  } else if (layers.length === 0) {
    if (topOwn.apiUrl === undefined) throw new ConfigError('channels.signal.api-url is required');
    throw new ConfigError('channels.signal.account must be an E.164 number like +15550001');
  }
  for (const { layer, common, own } of layers) {
    resolved.push(signalAccount(layer, topCommon, common, { apiUrl: topOwn.apiUrl, sendReadReceipts: topOwn.sendReadReceipts, ...own }));
  }
  return resolved;
}

function signalAccount(layer: AccountLayer, inherited: CommonSettings, common: CommonSettings, s: SignalSettings): SignalAccountConfig {
  const base = completeAccount('signal', layer.accountId, layer.path, inherited, common);
  if (base.enabled && s.apiUrl === undefined) throw new ConfigError(`${layer.path}.api-url is required`);
  if (base.enabled && s.account === undefined) throw new ConfigError(`${layer.path}.account must be an E.164 number like +15550001`);
  return { ...base, apiUrl: s.apiUrl ?? '', account: s.account ?? '', sendReadReceipts: s.sendReadReceipts ?? false };
}

function signalSettings(layer: AccountLayer): SignalSettings {
  const s: SignalSettings = {};
  const at = (key: string) => `${layer.path}.${key}`;
  for (const [key, value] of layer.keys) {
    switch (key) {
      case 'api-url': s.apiUrl = apiUrl(value, at(key)); break;
      case 'account': s.account = ownNumber(value, at(key)); break;
      case 'send-read-receipts': s.sendReadReceipts = readBool(value, at(key)); break;
    }
  }
  return s;
}

function apiUrl(value: unknown, path: string): string {
  const raw = typeof value === 'string' ? value.trim() : '';
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '') {
    throw new ConfigError(`${path} must be an http(s) URL (got ${JSON.stringify(String(value).replace(/\/\/[^/@]*@/, '//<redacted>@'))})`);
  }
  return raw.replace(/\/+$/, '');
}

function ownNumber(value: unknown, path: string): string {
  const n = typeof value === 'string' ? e164(value) : undefined;
  if (n === undefined) throw new ConfigError(`${path} must be an E.164 number like +15550001`);
  return n;
}
