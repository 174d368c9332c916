import { randomUUID } from 'node:crypto';
import { fields, list, printJson, table, text, yesNo } from './format.js';
import {
  CONNECTION_OPTIONS, CONNECTION_USAGE, INVOKE_TIMEOUT_MS, UsageError, parseCommandArgs, resolveTarget, runOwnerCommand, withGateway,
} from './gateway-client.js';

// `clawgate nodes list|approve|reject|invoke`: the nodes connected to (or paired with) the running gateway
// (openclaw-protocol.md §11.2, §11.4–§11.5: node.list, node.pair.approve / reject, node.invoke).

/** The `clawgate nodes --help` text. */
export const NODES_USAGE = `usage: clawgate nodes <command> [options]

Nodes (devices that connected with role "node") of the running gateway.

  list                                     the nodes, their approval state and commands
  approve <requestId>                      approve a node's pending commands (the request id is in nodes list)
  reject <requestId>                       reject a node's pending commands
  invoke <nodeId> <command> [json-params]  run a command on a connected node; prints the node's payload as JSON
                                           (json-params: a JSON object, default {})

  --timeout-ms N         invoke deadline on the gateway (default 30000); the CLI waits 5 s longer

${CONNECTION_USAGE}`;

const OPTIONS = { ...CONNECTION_OPTIONS, 'timeout-ms': { type: 'string' } } as const;

/** Runs `clawgate nodes …` against the running gateway; resolves with the process exit code. */
export function nodes(args: string[]): Promise<number> {
  return runOwnerCommand(async () => {
    const { values, positionals } = parseCommandArgs(args, OPTIONS);
    const [sub, ...rest] = positionals;
    if (values.help || sub === 'help') {
      process.stdout.write(NODES_USAGE);
      return;
    }
    if (sub === undefined) throw new UsageError('nodes: missing command: list, approve, reject or invoke (see clawgate nodes --help)');
    if (sub === 'approve' || sub === 'reject') return decide(sub, rest, values);
    if (sub !== 'list' && sub !== 'invoke') throw new UsageError(`nodes: unknown command "${sub}" (list, approve, reject, invoke)`);
    if (sub === 'list') {
      if (rest.length > 0) throw new UsageError(`nodes list: unexpected argument "${rest[0]}"`);
      if (values['timeout-ms'] !== undefined) throw new UsageError('nodes list: --timeout-ms applies to nodes invoke only');
      const target = resolveTarget(values);
      await withGateway(target, async (gw) => {
        const res = await gw.request('node.list', {});
        if (values.json) return printJson(res);
        process.stdout.write(renderList(res));
      });
      return;
    }

    const [nodeId, command, json, extra] = rest.map((s) => s.trim());
    if (!nodeId) throw new UsageError('nodes invoke: missing <nodeId>');
    if (!command) throw new UsageError('nodes invoke: missing <command>');
    if (extra !== undefined) throw new UsageError(`nodes invoke: unexpected argument "${extra}" (quote the JSON params as one argument)`);
    let params: unknown = {};
    if (json !== undefined) {
      try {
        params = JSON.parse(json);
      } catch (err) {
        throw new UsageError(`nodes invoke: json-params is not valid JSON: ${(err as Error).message.split('\n')[0]}`);
      }
      if (params === null || typeof params !== 'object' || Array.isArray(params)) throw new UsageError('nodes invoke: json-params must be a JSON object');
    }
    let timeoutMs: number | undefined;
    if (values['timeout-ms'] !== undefined) {
      timeoutMs = /^\d{1,9}$/.test(values['timeout-ms'].trim()) ? Number(values['timeout-ms']) : NaN;
      if (!(timeoutMs >= 1)) throw new UsageError(`--timeout-ms must be a positive integer, got "${values['timeout-ms']}"`);
    }
    const target = resolveTarget(values);
    await withGateway(target, async (gw) => {
      const res = await gw.request('node.invoke', {
        nodeId, command, params, idempotencyKey: randomUUID(), ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      }, timeoutMs !== undefined ? timeoutMs + 5_000 : INVOKE_TIMEOUT_MS);
      if (values.json) return printJson(res);
      printJson(nodePayload(res));
    });
  });
}

/** `nodes approve|reject <requestId>`: node.pair.approve / node.pair.reject. */
async function decide(sub: 'approve' | 'reject', rest: string[], values: { 'timeout-ms'?: string; json?: boolean } & Parameters<typeof resolveTarget>[0]): Promise<void> {
  const requestId = rest[0]?.trim();
  if (requestId === undefined) throw new UsageError(`nodes ${sub}: missing <requestId>`);
  if (requestId === '') throw new UsageError(`nodes ${sub}: <requestId> is empty`);
  if (rest.length > 1) throw new UsageError(`nodes ${sub}: unexpected argument "${rest[1]}"`);
  if (values['timeout-ms'] !== undefined) throw new UsageError(`nodes ${sub}: --timeout-ms applies to nodes invoke only`);
  const target = resolveTarget(values);
  await withGateway(target, async (gw) => {
    const res = await gw.request(`node.pair.${sub}`, { requestId });
    if (values.json) return printJson(res);
    const r = fields(res);
    if (sub === 'reject') {
      process.stdout.write(`rejected ${text(r.requestId ?? requestId)}${r.nodeId ? ` (node ${text(r.nodeId)})` : ''}\n`);
      return;
    }
    const n = fields(r.node);
    process.stdout.write(`approved ${text(r.requestId ?? requestId)}: node ${text(n.nodeId)} (commands ${list(n.commands)})\n`);
  });
}

/** The node's answer: `payload`, else the parsed `payloadJSON` (as text if it is not JSON), else null. */
function nodePayload(res: unknown): unknown {
  const { payload, payloadJSON } = fields(res);
  if (payload !== undefined && payload !== null) return payload;
  if (typeof payloadJSON === 'string') {
    try {
      return JSON.parse(payloadJSON);
    } catch {
      return payloadJSON;
    }
  }
  return payload ?? null;
}

const count = (v: unknown) => (Array.isArray(v) ? v.length : 0);

function renderList(res: unknown): string {
  const { nodes } = fields(res);
  const all = Array.isArray(nodes) ? nodes.map(fields) : [];
  if (all.length === 0) return 'Nodes: none\n';
  return `Nodes (${all.length})\n` + table(['NODE', 'NAME', 'PLATFORM', 'STATE', 'CONNECTED', 'COMMANDS'], all.map((n) => [
    text(n.nodeId), text(n.displayName), text(n.platform), text(n.approvalState), yesNo(n.connected),
    count(n.commands) || !count(n.pendingDeclaredCommands) ? list(n.commands) : `${list(n.pendingDeclaredCommands)} (pending approval)`,
  ]));
}
