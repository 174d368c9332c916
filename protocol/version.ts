// Protocol version constants (spec §4.3; OpenClaw `packages/gateway-protocol/src/version.ts`).

/** The protocol Clawgate speaks; hello-ok `protocol` is always this value. */
export const PROTOCOL_VERSION = 4;
/** Lowest `maxProtocol` an ordinary client may offer. */
export const MIN_CLIENT_PROTOCOL_VERSION = 4;
/** Exact node identities (`role:"node"` and `client.mode:"node"`) may still use v3. */
export const MIN_NODE_PROTOCOL_VERSION = 3;
/** `client.mode:"probe"` may still use v3. */
export const MIN_PROBE_PROTOCOL_VERSION = 3;
