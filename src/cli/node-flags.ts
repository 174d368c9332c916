// The Node flags the gateway is meant to run with: `npm start`, the service units (`clawgate service print`)
// and the benchmarks start it with these (the `clawgate` bin cannot: a shebang takes one argument portably).
//
// --max-semi-space-size=8: V8's young generation (two semi-spaces) grows to 2 × 16 MiB on Node 20 during a
// burst of allocation such as thousands of WS handshakes, and stays committed long after. bench:ws at 19 000
// idle connections, 40 s after the burst: 1.2 KB RSS per connection with 8 MiB, 2.6 and 4.1 KB with 16 MiB; the
// price is ~10 % more CPU per HTTP message (more scavenges, bench:http). Smaller caps promote more short-lived
// objects to the old generation and measured worse (4 MiB: 5.5 KB/conn, 3 s after the burst).
//
// --gc-memory-reducer-start-delay-ms=1000: V8's memory reducer (collections that compact the heap and give its
// empty pages back, once allocation is low) is armed by a full collection and waits 8 s by default; 1 s lets a
// gateway that takes thousands of connects shrink in the pauses of the burst. Each later full collection, and
// each check that finds allocation still high, puts it off 8 s more, so after a long burst it may run only
// 10–30 s later (bench:ws reads RSS both 3 s and 40 s after the burst for that reason). At 19 000 connections
// (handshakes 30 in flight per source address), V8 heap committed per held connection: 1.3–1.6 KB in 4 runs
// against 1.9–3.8 KB in 5 runs without. The reducer waits for allocation to fall: under 10 s of HTTP message
// load, --trace-gc showed none of its collections.
//
// --expose-gc: the gateway runs one full collection itself once a burst is over (../core/heap-settle.ts), which
// the memory reducer does not do when the old generation did not grow by 10 MB: after 10 000 connects and
// closes, RSS read 1.33–1.35× the baseline 30–40 s later without it, 1.01–1.04× with it.

/** Node flags for the gateway process; see the file comment. */
export const GATEWAY_NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=8', '--gc-memory-reducer-start-delay-ms=1000', '--expose-gc']);

/**
 * Which of {@link GATEWAY_NODE_FLAGS} this process runs without: looked for in its node arguments and in
 * NODE_OPTIONS (by name: `--max-semi-space-size=16` counts as given, the choice is the user's).
 */
export function missingNodeFlags(execArgv: readonly string[], nodeOptions = ''): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map((a) => a.split('=')[0]);
  return GATEWAY_NODE_FLAGS.filter((f) => !given.includes(f.split('=')[0]));
}
