// Clawgate's public API (`import { … } from 'clawgate'`): start a gateway in-process, embed its pure machines
// in your own tests, and type your clients with the wire protocol's types. Schemas and validators are at
// `clawgate/protocol`.

export { createGateway, startGateway, type CreateGatewayOptions, type Gateway, type GatewayOptions } from './main.js';
export { resolveConfig, type GatewayConfig } from './config.js';
export { sessionMachine, type SessionMachine, type SessionInput, type SessionEvent, type QueuedRun } from './machines/session.js';
export { connectionMachine, type ConnectionMachine, type ConnectionInput, type ConnectionEvent } from './machines/connection.js';
export { nodeMachine, type NodeMachine, type NodeInput, type NodeEvent } from './machines/node.js';
export type { Runner, RunInput, RunEvent } from './core/run.js';
export type { Tool } from './agent/tools/registry.js';
export type * from '../protocol/index.js';
