// The Node flags the gateway is meant to run with: `npm start`, the service units (`clawgate service print`)
// and the benchmarks start it with these (the `clawgate` bin cannot: a shebang takes one argument portably).
//
// --max-semi-space-size=8: V8's young generation (two semi-spaces) grows to 2 × 16 MiB on Node 20 during a
// burst of allocation such as thousands of WS handshakes, and stays committed long after. Capped at 8 MiB
// per semi-space, a gateway holding 19 000 idle connections measured 2.2–3.6 KB RSS per connection in most
// runs instead of 3.9–4.5 KB (bench:ws); the price is ~10 % more CPU per HTTP message (more scavenges,
// bench:http). Smaller caps promote more short-lived objects to the old generation and measured worse
// (4 MiB: 5.5 KB/conn).
//
// --gc-memory-reducer-start-delay-ms=1000: after a burst, V8's memory reducer (collections that compact the heap
// and give its empty pages back) starts once allocation is low, by default 8 s after the last full collection;
// 1 s lets a gateway that just took thousands of connects shrink in the pauses of the burst and right after it.
// bench:ws at 19 000 connections (handshakes 30 in flight per source address), V8 heap committed per held
// connection: 1.3–1.6 KB in 4 runs against 1.9–3.8 KB in 5 runs without; RSS 2.4–3.2 against 3.0–6.1 KB. The
// reducer waits for allocation to fall: under 10 s of HTTP message load, --trace-gc showed none of its collections.

/** Node flags for the gateway process; see the file comment. */
export const GATEWAY_NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=8', '--gc-memory-reducer-start-delay-ms=1000']);
