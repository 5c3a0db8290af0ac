/**
 * Why a target is not met, by target id (see `bench/targets.ts`), kept by hand beside the
 * analysis in `bench/NOTES.md`, where the profiles and commands behind each reason are (each
 * note names its section). A target without an entry points there. The reasons are what the
 * profiles showed; the ratios beside them are the run's own.
 *
 * @module
 */

/** The explanation of an unmet target without its own entry. */
export const DEFAULT_NOTE = "see bench/NOTES.md";

const SMALL_MESSAGES =
  "per-message floor of the idiomatic API (view, array, promise, microtask): about libzmq's " +
  "whole CPU per 8 B message; the receiver is the limit (NOTES.md, Throughput)";

const LARGE_MESSAGES =
  "receiver: runtime reads 64 KiB into fresh memory, a large frame is assembled by one copy; " +
  "libzmq reads into the message (NOTES.md, Throughput)";

const LARGE_MESSAGES_NODE =
  "receiver: the Pull binds, and Node lets only sockets it dials read into our memory; an " +
  "accepted one reads fresh 64 KiB buffers, copied into the frame, with full GCs from external " +
  "memory. A dialling Pull reads in place: 0.89x native (NOTES.md, Large frames, third pass)";

const LARGE_MESSAGES_BUN =
  "receiver: Bun hands each read over as a fresh copy, then the frame is assembled by a second " +
  "copy: two per byte against the floor's one (NOTES.md, Large frames, second pass)";

const ROUND_TRIP =
  "~3 µs of our JavaScript per end above the raw echo (decode, pipe, promise, the loop); within " +
  "run-to-run noise of the target (NOTES.md, Latency, second pass)";

const VERSUS_ZEROMQ_ROUND_TRIP =
  "the runtime's raw echo alone is 0.51-0.57x the zeromq package's round trip; ours is 4-6 µs " +
  "above it, our path running cold between round trips (NOTES.md, Latency, third pass)";

const RUNTIME_GAP =
  "CPU per message is within 1.5x of Node's; the gap is the runtime's socket path, as its raw " +
  "floor shows (NOTES.md, Throughput)";

const FAN_OUT =
  "CPU-bound: our two processes spend ~0.37 µs per delivery (Node), at most ~5.4M/s on 2 cores; " +
  "we deliver all, libzmq part of what it sends, its rate moving 2x between runs (NOTES.md, " +
  "Fan-out, third pass)";

const MEMORY =
  "no unbounded queue (the Push blocks in every stall): V8's young generation grows under 10M " +
  "fresh payloads, their memory waits for it; with --max-semi-space-size=8 the Node Push peaks " +
  "at 146 MiB (NOTES.md, Memory, third pass)";

const SCALE =
  "runtime's accept path under a burst of 10,000 connects (backlog overflow, SYN retries); " +
  "nothing of ours O(n) per connection (NOTES.md, Scale)";

/** Builds the entries of one reason for every runtime (and size) it applies to. */
function forEach(ids: readonly string[], note: string): Record<string, string> {
  return Object.fromEntries(ids.map((id) => [id, note]));
}

const RUNTIMES = ["node", "deno", "bun"] as const;
const each = (make: (runtime: string) => string): string[] => RUNTIMES.map(make);

/**
 * Hand-written explanations of unmet targets, by target id.
 *
 * @example
 * ```ts
 * const why = TARGET_NOTES["push-pull-8-native-node"] ?? DEFAULT_NOTE;
 * ```
 */
export const TARGET_NOTES: Readonly<Record<string, string>> = {
  ...forEach(each((r) => `push-pull-8-native-${r}`), SMALL_MESSAGES),
  ...forEach(each((r) => `push-pull-8-zeromq-${r}`), SMALL_MESSAGES),
  ...forEach(each((r) => `push-pull-1024-native-${r}`), SMALL_MESSAGES),
  ...forEach(
    [
      ...each((r) => `push-pull-65536-native-${r}`),
      ...each((r) => `push-pull-1048576-native-${r}`),
    ],
    LARGE_MESSAGES,
  ),
  "push-pull-1048576-native-node": LARGE_MESSAGES_NODE,
  "push-pull-1048576-native-bun": LARGE_MESSAGES_BUN,
  ...forEach(each((r) => `req-rep-8-floor-${r}`), ROUND_TRIP),
  ...forEach(each((r) => `req-rep-8-zeromq-${r}`), VERSUS_ZEROMQ_ROUND_TRIP),
  ...forEach(
    ["deno", "bun"].flatMap((r) =>
      [8, 64, 1024, 65536, 1048576].map((size) => `push-pull-${size}-node-vs-${r}`)
    ),
    RUNTIME_GAP,
  ),
  ...forEach(each((r) => `pub-sub-100-native-${r}`), FAN_OUT),
  ...forEach(each((r) => `memory-${r}`), MEMORY),
  ...forEach(each((r) => `scale-${r}`), SCALE),
};
