import { scopeSatisfied } from '../../../policy/authorize.js';
import type { PairedDevice, PairingRequest } from '../../../store/devices.js';
import { invalidRequest, MethodError, RESPONDED, type Call, type Handler, type WsServices } from './types.js';

// Pairing and device-token RPCs (openclaw-protocol.md §10.6–§10.7). Removing a device, rotating or revoking
// a token closes the affected sockets with 4001 `device removed`, after the method's answer.

const connectedDevices = (ctx: WsServices) => {
  const ids = new Set<string>();
  for (const c of ctx.hub.connections()) if (typeof c.client.deviceId === 'string') ids.add(c.client.deviceId);
  return ids;
};

function requestView(r: PairingRequest): Record<string, unknown> {
  const c = r.client;
  return Object.fromEntries(Object.entries({
    requestId: r.requestId, deviceId: r.deviceId, publicKey: r.publicKey, displayName: c.displayName, platform: c.platform,
    deviceFamily: c.deviceFamily, clientId: c.clientId, clientMode: c.clientMode, browserOrigin: c.browserOrigin,
    role: r.role, roles: [r.role], scopes: r.scopes, remoteIp: r.remoteIp, silent: false, isRepair: r.isRepair, ts: r.ts,
  }).filter(([, v]) => v !== undefined));
}

function deviceView(d: PairedDevice, ctx: WsServices, connected: Set<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries({
    deviceId: d.deviceId, publicKey: d.publicKey, displayName: d.displayName, platform: d.platform, deviceFamily: d.deviceFamily,
    clientId: d.clientId, clientMode: d.clientMode, role: d.roles[0], roles: d.roles, scopes: d.scopes, approvedVia: d.approvedVia,
    createdAtMs: d.createdAtMs, approvedAtMs: d.approvedAtMs, lastSeenAtMs: d.lastSeenAtMs, lastSeenReason: d.lastSeenReason,
    connected: connected.has(d.deviceId),
    // token values are never listed
    tokens: ctx.devices.tokens(d.deviceId),
  }).filter(([, v]) => v !== undefined));
}

/** Answer first, then close the sockets whose credentials just stopped being valid. */
function answerThenInvalidate(call: Call, ctx: WsServices, payload: unknown, deviceId: string, role?: string): typeof RESPONDED {
  call.respond(true, payload);
  ctx.hub.closeWhere((c) => c.client.deviceId === deviceId && (role === undefined || c.role === role), 4001, 'device removed');
  return RESPONDED;
}

/** `device.pair.list`: pending pairing requests and paired devices (never token values). */
export const devicePairList: Handler<'device.pair.list'> = (_params, _call, ctx) => {
  const connected = connectedDevices(ctx);
  return { pending: ctx.devices.pending().map(requestView), paired: ctx.devices.list().map((d) => deviceView(d, ctx, connected)) };
};

/** `device.pair.approve`: pair the requesting device and announce `device.pair.resolved`. */
export const devicePairApprove: Handler<'device.pair.approve'> = (params, _call, ctx) => {
  const req = ctx.devices.pendingById(params.requestId);
  if (!req) throw invalidRequest(`unknown pairing request: ${params.requestId}`);
  const device = ctx.devices.approve(req, 'owner');
  ctx.devices.dropRequest(req.requestId);
  ctx.pairingResolved(req, 'approved');
  return { requestId: req.requestId, device: deviceView(device, ctx, connectedDevices(ctx)) };
};

/** `device.pair.reject`: drop the pairing request and announce `device.pair.resolved`. */
export const devicePairReject: Handler<'device.pair.reject'> = (params, _call, ctx) => {
  const req = ctx.devices.pendingById(params.requestId);
  if (!req) throw invalidRequest(`unknown pairing request: ${params.requestId}`);
  ctx.devices.dropRequest(req.requestId);
  ctx.pairingResolved(req, 'rejected');
  return { requestId: req.requestId, deviceId: req.deviceId };
};

/** `device.pair.remove`: forget the device, answer, then close its sockets. */
export const devicePairRemove: Handler<'device.pair.remove'> = (params, call, ctx) => {
  if (!ctx.devices.remove(params.deviceId)) throw invalidRequest(`unknown device: ${params.deviceId}`);
  return answerThenInvalidate(call, ctx, { deviceId: params.deviceId, removed: true }, params.deviceId);
};

/** Non-admins may act only on their own operator token, and never widen it. */
function authorizeTokenChange(call: Call, deviceId: string, role: string, scopes?: string[]): void {
  const held = call.conn.scopes;
  if (held.includes('operator.admin')) return;
  const missingAdmin = () => new MethodError({
    code: 'FORBIDDEN', message: 'missing scope: operator.admin',
    details: { code: 'MISSING_SCOPE', missingScope: 'operator.admin', requiredScopes: ['operator.admin'] },
  });
  if (role !== 'operator' || call.conn.client.deviceId !== deviceId) throw missingAdmin();
  const wider = scopes?.find((s) => !scopeSatisfied(held, s));
  if (wider) throw invalidRequest(`cannot grant ${wider}: scopes may not exceed the caller's own`);
}

/** `device.token.rotate`: a new token for the device's role (returned only to that device), then close its sockets. */
export const deviceTokenRotate: Handler<'device.token.rotate'> = (params, call, ctx) => {
  authorizeTokenChange(call, params.deviceId, params.role, params.scopes);
  const device = ctx.devices.get(params.deviceId);
  if (!device?.roles.includes(params.role)) throw invalidRequest(`unknown device or role: ${params.deviceId} ${params.role}`);
  const rotated = ctx.devices.rotate(params.deviceId, params.role, params.scopes);
  const own = call.conn.client.deviceId === params.deviceId;
  const payload = {
    deviceId: params.deviceId, role: params.role, scopes: rotated.scopes, rotatedAtMs: rotated.rotatedAtMs,
    // the new token goes back only to the device that rotates its own token
    ...(own ? { token: rotated.token, tokenDelivery: 'in-band' } : { tokenDelivery: 'withheld-cross-device' }),
  };
  return answerThenInvalidate(call, ctx, payload, params.deviceId, params.role);
};

/** `device.token.revoke`: revoke the device's token for a role, answer, then close its sockets. */
export const deviceTokenRevoke: Handler<'device.token.revoke'> = (params, call, ctx) => {
  authorizeTokenChange(call, params.deviceId, params.role);
  const revokedAtMs = ctx.devices.revoke(params.deviceId, params.role);
  if (revokedAtMs === undefined) throw invalidRequest(`no active token for ${params.deviceId} ${params.role}`);
  return answerThenInvalidate(call, ctx, { deviceId: params.deviceId, role: params.role, revokedAtMs }, params.deviceId, params.role);
};
