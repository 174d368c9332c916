// The Node flags the gateway is meant to run with: `npm start`, the service units (`clawgate service print`)
// and the benchmarks start it with these (the `clawgate` bin cannot: a shebang takes one argument portably).
//
// --max-semi-space-size=8: V8's young generation (two semi-spaces) grows to 2 × 16 MiB on Node 20 during a
// burst of allocation such as thousands of WS handshakes, and stays committed long after. Capped at 8 MiB
// per semi-space, a gateway holding 19 000 idle connections measured 2.2–3.6 KB RSS per connection in most
// runs instead of 3.9–4.5 KB (bench:ws); the price is ~10 % more CPU per HTTP message (more scavenges,
// bench:http). Smaller caps promote more short-lived objects to the old generation and measured worse
// (4 MiB: 5.5 KB/conn).

/** Node flags for the gateway process; see the file comment. */
export const GATEWAY_NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=8']);
