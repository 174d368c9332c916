import type { Tool } from './registry.js';

// `nodes.invoke`: runs a command on a paired node (a phone, a desktop app) through the gateway's node
// registry. The registry lives in the WS plane, which loads after the port is bound, so the gateway
// injects a function that looks it up lazily.

/** Resolves with the node's payload; rejects with the node's or the registry's error message. */
export type InvokeNode = (nodeId: string, command: string, params: unknown, timeoutMs: number) => Promise<unknown>;

/** Deadline of an invocation when the model gives no `timeoutMs`. */
export const NODES_INVOKE_DEFAULT_TIMEOUT_MS = 30_000;
const MAX_TIMEOUT_MS = 120_000;

/** The `nodes.invoke` tool, over the gateway's node invoker. */
export function createNodesInvokeTool(invokeNode: InvokeNode): Tool {
  return {
    name: 'nodes.invoke',
    description: 'Runs a command on a paired node device (for example camera.snap or location.get) and returns its result.',
    parameters: {
      type: 'object',
      properties: {
        nodeId: { type: 'string', description: 'The node id, as listed by the gateway' },
        command: { type: 'string', description: 'The command the node declared, e.g. location.get' },
        params: { type: 'object', description: 'Command parameters' },
        timeoutMs: { type: 'integer', minimum: 1, maximum: MAX_TIMEOUT_MS },
      },
      required: ['nodeId', 'command'],
      additionalProperties: false,
    },
    async run(args, { signal }) {
      const nodeId = typeof args.nodeId === 'string' ? args.nodeId.trim() : '';
      const command = typeof args.command === 'string' ? args.command.trim() : '';
      if (!nodeId || !command) throw new Error('nodeId and command are required');
      const timeoutMs = typeof args.timeoutMs === 'number' && args.timeoutMs > 0
        ? Math.min(args.timeoutMs, MAX_TIMEOUT_MS) : NODES_INVOKE_DEFAULT_TIMEOUT_MS;
      signal.throwIfAborted();
      return invokeNode(nodeId, command, args.params ?? {}, timeoutMs);
    },
  };
}
