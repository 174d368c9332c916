// `clawgate/client`: the WebSocket operator client the owner CLI uses, for scripts and examples. It runs on
// Node 20 (OpenClaw's `@openclaw/gateway-client` needs Node >= 22.19) and resolves `connect()` only after
// hello-ok. The owner CLI uses the same implementation.

export {
  CONNECT_TIMEOUT_MS,
  GatewayConnection,
  GatewayError,
  GatewayUnavailableError,
  REQUEST_TIMEOUT_MS,
  withGateway,
  type GatewayEvent,
  type GatewayTarget,
} from './gateway-connection.js';
