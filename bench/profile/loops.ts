/**
 * The measured loops shared by `end.ts` and `memory_pair.ts`: the idiomatic
 * receive and request loops, timed in wall-clock and CPU time.
 *
 * @module
 */

/** CPU seconds (user + system) since `start`, a `process.cpuUsage()` reading. */
export function cpuSince(start: { user: number; system: number }): number {
  const now = process.cpuUsage();
  return (now.user - start.user + now.system - start.system) / 1e6;
}

/**
 * Receives `count` messages with `for await`; the clocks start at the first one,
 * so connection setup is not counted.
 *
 * @example
 * ```ts
 * const { seconds, cpuSeconds } = await receiveCounted(pull, 1_000_000);
 * ```
 */
export async function receiveCounted(
  socket: AsyncIterable<unknown>,
  count: number,
): Promise<{ seconds: number; cpuSeconds: number }> {
  let received = 0;
  let start = 0;
  let cpu = process.cpuUsage();
  for await (const _message of socket) {
    if (received === 0) {
      start = performance.now();
      cpu = process.cpuUsage();
    }
    if (++received === count) break;
  }
  return { seconds: (performance.now() - start) / 1000, cpuSeconds: cpuSince(cpu) };
}

/**
 * `count` request/reply round trips, one in flight (`await send`, then `await receive`), after a
 * warm-up of a tenth as many; returns the mean round trip and the CPU time per round trip, in µs.
 *
 * @example
 * ```ts
 * const { meanUs, cpuUs } = await roundTrips(req, new Uint8Array(8), 20_000);
 * ```
 */
export async function roundTrips(
  // deno-lint-ignore no-explicit-any
  req: { send(message: Uint8Array): Promise<void>; receive(): Promise<any> },
  payload: Uint8Array,
  count: number,
): Promise<{ meanUs: number; cpuUs: number }> {
  const warmup = Math.floor(count / 10);
  let start = 0;
  let cpu = process.cpuUsage();
  for (let i = 0; i < count + warmup; i++) {
    if (i === warmup) {
      start = performance.now();
      cpu = process.cpuUsage();
    }
    await req.send(payload);
    await req.receive();
  }
  return {
    meanUs: (performance.now() - start) * 1000 / count,
    cpuUs: cpuSince(cpu) * 1e6 / count,
  };
}
