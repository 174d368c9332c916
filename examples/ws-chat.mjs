// Send one chat message over the WebSocket control plane and print the streamed reply.
//
//   npm run build && node examples/ws-chat.mjs "Hello there"
//
// Env: CLAWGATE_URL (default ws://127.0.0.1:18789), OPENCLAW_GATEWAY_TOKEN (when the gateway has a token),
// CLAWGATE_SESSION (default agent:main:demo). Runs on Node 20 with Clawgate's own client (`clawgate/client`,
// the same one WebChat uses); Node 20 has no global WebSocket, so `ws` is passed in.
import { randomUUID } from 'node:crypto';
import { ConnectError, createGatewayClient } from 'clawgate/client';
import WebSocket from 'ws';

const url = process.env.CLAWGATE_URL ?? 'ws://127.0.0.1:18789';
const token = process.env.OPENCLAW_GATEWAY_TOKEN || undefined;
const sessionKey = process.env.CLAWGATE_SESSION ?? 'agent:main:demo';
const message = process.argv[2] ?? 'Hello from examples/ws-chat.mjs';

// a device-less `cli` client keeps its scopes on a direct loopback connection with the gateway's token
const client = createGatewayClient({
  url, WebSocket, token,
  client: { id: 'cli', mode: 'cli', version: '1.0.0', platform: process.platform },
  scopes: ['operator.read', 'operator.write'],
});
const runId = randomUUID();
const done = new Promise((resolve, reject) => {
  client.onEvent('chat', (payload) => {
    if (payload.runId !== runId) return;
    if (payload.state === 'delta') process.stdout.write(payload.deltaText ?? '');
    else if (payload.state === 'final') {
      process.stdout.write(`\nfinal: ${payload.message.content.map((c) => c.text).join('')}\n`);
      resolve();
    } else if (payload.state !== 'status') reject(new Error(`run ended ${payload.state}: ${payload.errorMessage ?? payload.stopReason ?? ''}`));
  });
});

client.start();
try {
  // ready() resolves with the session of hello-ok: no request can go out before the handshake
  const session = await client.ready();
  // the ack comes first ({runId, status: "started"}); the reply arrives as `chat` events
  await session.request('chat.send', { sessionKey, message, idempotencyKey: runId });
  await done;
} catch (err) {
  const detail = err instanceof ConnectError && err.failure === 'rejected' ? `gateway refused the connection: ${err.message} [${err.detailCode ?? err.code}]` : err.message;
  process.stderr.write(`ws-chat: ${detail}\n`);
  process.exitCode = 1;
} finally {
  client.stop();
}
