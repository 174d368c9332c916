// Send one chat message over the WebSocket control plane and print the streamed reply.
//
//   npm run build && node examples/ws-chat.mjs "Hello there"
//
// Env: CLAWGATE_URL (default ws://127.0.0.1:18789), OPENCLAW_GATEWAY_TOKEN (when the gateway has a token),
// CLAWGATE_SESSION (default agent:main:demo). Runs on Node 20: it uses Clawgate's own client
// (`clawgate/client`), not `@openclaw/gateway-client`, which needs Node >= 22.19.
import { randomUUID } from 'node:crypto';
import { GatewayConnection } from 'clawgate/client';

const url = process.env.CLAWGATE_URL ?? 'ws://127.0.0.1:18789';
const token = process.env.OPENCLAW_GATEWAY_TOKEN || undefined;
const sessionKey = process.env.CLAWGATE_SESSION ?? 'agent:main:demo';
const message = process.argv[2] ?? 'Hello from examples/ws-chat.mjs';

// connect() resolves only after hello-ok: the handshake is complete before the first request
let gw;
try {
  gw = await GatewayConnection.connect({ url, token });
} catch (err) {
  process.stderr.write(`ws-chat: ${err.message}\n`);
  process.exit(1);
}
const runId = randomUUID();

const done = new Promise((resolve, reject) => {
  gw.onEvent(({ event, payload }) => {
    if (event !== 'chat' || payload.runId !== runId) return;
    if (payload.state === 'delta') process.stdout.write(payload.deltaText ?? '');
    else if (payload.state === 'final') {
      process.stdout.write(`\nfinal: ${payload.message.content.map((c) => c.text).join('')}\n`);
      resolve();
    } else reject(new Error(`run ended ${payload.state}: ${payload.errorMessage ?? payload.stopReason ?? ''}`));
  });
});

try {
  // the ack comes first ({runId, status: "started"}); the reply arrives as `chat` events
  await gw.request('chat.send', { sessionKey, message, idempotencyKey: runId });
  await done;
} catch (err) {
  process.stderr.write(`ws-chat: ${err.message}\n`);
  process.exitCode = 1;
} finally {
  await gw.close();
}
