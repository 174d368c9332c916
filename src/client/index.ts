// `clawgate/client`: the one typed client of the control plane (web-surfaces §7). Isomorphic: it runs in the
// browser (WebChat, the inspector page) and in Node 20 with `ws` passed as the WebSocket. Nothing can be sent
// before hello-ok: requests exist only on the GatewaySession that `ready()` and `onHelloOk` deliver.
//
//   import WebSocket from 'ws';
//   import { createGatewayClient } from 'clawgate/client';
//   const client = createGatewayClient({ url: 'ws://127.0.0.1:18789', WebSocket, token });
//   client.start();
//   const session = await client.ready();
//   await session.request('chat.send', { sessionKey, message, idempotencyKey });

export { type ClientClock, systemClock } from './clock.js';
export { buildConnectParams, type ClientInfo, type ConnectInputs } from './connect-params.js';
export {
  type DeviceAuthFields, type DeviceIdentity, type DeviceTokenStore, deviceAuthPayloadV3, memoryTokenStore,
  type StoredDeviceToken, toBase64Url, toHex,
} from './device-auth.js';
export { type ConnectFailure, ConnectError, ConnectionClosedError, GatewayRequestError, RequestTimeoutError } from './errors.js';
export type { EventMeta, GatewayEventName, GatewayEvents } from './events.js';
export {
  createGatewayClient, type GatewayClient, type GatewayClientOptions, type GatewayStatus, type SeqGap,
} from './gateway-client.js';
export { defaultRandom, type KeyStore, memoryKeyStore, type RandomSource } from './key-store.js';
export {
  type ChatAbortResult, type ChatHistoryResult, type ChatSendAck, GATEWAY_METHODS, type GatewayMethod, type GatewayMethods, type InspectTicketResult, type ParamsOf,
  type ResultOf, type SessionsListResult,
} from './methods.js';
export { type NobleEd25519, type NobleParts, nobleIdentity } from './noble-identity.js';
export { pausesReconnect, type ReconnectPolicy, reconnectDelayMs } from './reconnect-policy.js';
export type { GatewaySession, RequestOptions } from './session.js';
export { type SubtleLike, webCryptoIdentity, type WebCryptoKeyPair } from './webcrypto-identity.js';
export type { WebSocketConstructor, WebSocketLike } from './websocket.js';
