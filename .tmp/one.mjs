import WebSocket from 'ws';
const port = process.argv[2];
const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
ws.on('message', async (d) => {
  const f = JSON.parse(d.toString());
  if (f.event === 'connect.challenge') ws.send(JSON.stringify({ type: 'req', id: '1', method: 'connect', params: { minProtocol: 4, maxProtocol: 4, client: { id: 'gateway-client', version: '1', platform: 'linux', mode: 'backend' }, role: 'operator', scopes: ['operator.read'] } }));
  else if (f.type === 'res') { console.error('hello'); for (let i = 0; i < 2; i++) { await fetch(`http://127.0.0.1:${port}/v1/gateway/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: 'x' + i, text: 'hi' }) }); console.error('posted', performance.now()); } setTimeout(() => process.exit(0), 300); }
  else console.error('event', f.event, f.payload?.stream ?? f.payload?.state ?? '');
});
