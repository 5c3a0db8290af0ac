/**
 * The statistics of the benchmarks: medians over runs, and the latency summary of a set of
 * round trips (nearest-rank percentiles, as `bench/native/zmq_end.c` computes them).
 *
 * @module
 */

/**
 * The median of some numbers (the mean of the middle two for an even count).
 *
 * @example
 * ```ts
 * median([3, 1, 2]); // 2
 * ```
 */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * The nearest-rank percentile `q` (0 < q ≤ 1) of numbers sorted in ascending order.
 *
 * @example
 * ```ts
 * percentile([1, 2, 3, 4], 0.5); // 2
 * ```
 */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1];
}

/** Mean, median and 99th percentile of round trips, in microseconds. */
export interface LatencySummary {
  readonly roundTrips: number;
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** The sum of the round trips, in seconds. */
  readonly seconds: number;
}

/**
 * Summarises round-trip times given in microseconds (sorts `samples` in place).
 *
 * @example
 * ```ts
 * latencySummary(new Float64Array([50, 40, 60])); // { meanUs: 50, p50Us: 50, ... }
 * ```
 */
export function latencySummary(samples: Float64Array): LatencySummary {
  let sum = 0;
  for (const sample of samples) sum += sample;
  samples.sort();
  return {
    roundTrips: samples.length,
    meanUs: sum / samples.length,
    p50Us: percentile(samples, 0.5),
    p99Us: percentile(samples, 0.99),
    seconds: sum / 1e6,
  };
}

/**
 * The largest of the numbers present, or undefined when none is.
 *
 * @example
 * ```ts
 * maxOf([1, null, 3]); // 3
 * ```
 */
export function maxOf(values: readonly (number | null | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => typeof v === "number");
  return known.length === 0 ? undefined : Math.max(...known);
}
