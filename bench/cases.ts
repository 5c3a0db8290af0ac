/**
 * The benchmark cases: what each measures, with which implementations, and how many messages.
 *
 * Counts are per family of implementation, chosen so that a timed window lasts about half a
 * second on an idle 2-core machine, and the whole command about a quarter of an hour: the
 * zeromq package's awaited sends are several times slower per message than monocoque's,
 * native libzmq and the raw floors faster.
 *
 * @module
 */

import type { Family, Implementation } from "./implementations.ts";

/** How a case measures: messages a second, round-trip times, or an aggregate over subscribers. */
export type Kind = "throughput" | "latency" | "fan-out" | "inproc";

/** The tables of the report, one per group, in this order. */
export const GROUPS = {
  "push-pull": "Push → Pull throughput, NULL",
  "push-pull-curve": "Push → Pull throughput, CURVE",
  "dealer-router": "Dealer → Router throughput, NULL",
  "req-rep-rtt": "Request/Reply round-trip latency",
  "dealer-router-rtt": "Dealer/Router round-trip latency",
  "pub-sub": "Publisher → Subscribers fan-out, aggregate delivered",
  "inproc-push-pull": "inproc Push → Pull throughput, one process",
} as const;

/** A group of cases (one table). */
export type GroupId = keyof typeof GROUPS;

/** One case: one row per implementation in its group's table. */
export interface Case {
  /** Unique, such as "push-pull/8" or "pub-sub/100". */
  readonly id: string;
  readonly group: GroupId;
  readonly kind: Kind;
  readonly size: number;
  readonly mechanism: "null" | "curve";
  readonly subscribers: number;
  readonly warmup: number;
  /** Timed messages (or round trips) per family; a family without a count does not run. */
  readonly counts: Partial<Record<Family, number>>;
  /** Runs unless `--runs` says otherwise. */
  readonly runs: number;
  /** Whether `npm run bench` runs it without `--cases`. */
  readonly byDefault: boolean;
}

/**
 * The end's case name for an implementation: the raw floors have their own two.
 *
 * @example
 * ```ts
 * endCaseName(CASES[0], IMPLEMENTATIONS[0]); // "push-pull"
 * ```
 */
export function endCaseName(c: Case, impl: Implementation): string {
  if (impl.family !== "raw") return c.group.replace(/-curve$/, "");
  return c.kind === "latency" ? "ping-pong" : "framed";
}

const KIB = 1024;

type Counts = Partial<Record<Family, number>>;

function caseOf(
  group: GroupId,
  kind: Kind,
  size: number,
  warmup: number,
  counts: Counts,
  extra: { subscribers?: number; runs?: number; byDefault?: boolean } = {},
): Case {
  const subscribers = extra.subscribers ?? 1;
  return {
    id: `${group}/${kind === "fan-out" ? subscribers : size}`,
    group,
    kind,
    size,
    mechanism: group.endsWith("-curve") ? "curve" : "null",
    subscribers,
    warmup,
    counts,
    runs: extra.runs ?? 3,
    byDefault: extra.byDefault ?? true,
  };
}

const M = 1_000_000;

/** Every case, in the order of the report. */
export const CASES: readonly Case[] = [
  // Small messages warm up with a million: V8 needs that long to settle the receive loop. On
  // one tree, Node's Pull took 201-211 ns of CPU per 8 B message over runs of 2 million and
  // 149-163 ns over runs of 6 million; with 30,000 untimed messages, the median of three runs
  // was 4.9M msg/s, with 1,000,000, 6.2M (native libzmq from C: 5.9M, also warmed up).
  caseOf("push-pull", "throughput", 8, 1_000_000, {
    monocoque: 2 * M,
    zeromq: 200_000,
    native: 3 * M,
    raw: 4 * M,
  }),
  caseOf("push-pull", "throughput", 64, 1_000_000, {
    monocoque: 2 * M,
    zeromq: 200_000,
    native: 2.5 * M,
    raw: 3 * M,
  }),
  caseOf("push-pull", "throughput", KIB, 20_000, {
    monocoque: 700_000,
    zeromq: 150_000,
    native: 500_000,
    raw: 700_000,
  }),
  caseOf("push-pull", "throughput", 64 * KIB, 1_000, {
    monocoque: 15_000,
    zeromq: 10_000,
    native: 20_000,
    raw: 20_000,
  }),
  caseOf("push-pull", "throughput", KIB * KIB, 100, {
    monocoque: 1_000,
    zeromq: 800,
    native: 1_500,
    raw: 1_500,
  }),
  caseOf("push-pull-curve", "throughput", 64, 20_000, {
    monocoque: 250_000,
    zeromq: 150_000,
    native: 300_000,
  }, { runs: 2 }),
  caseOf("push-pull-curve", "throughput", KIB, 10_000, {
    monocoque: 100_000,
    zeromq: 100_000,
    native: 120_000,
  }, { runs: 2 }),
  // Optional (`--cases=dealer-router`): Push → Pull already measures the same data path.
  ...[8, KIB].map((size) =>
    caseOf("dealer-router", "throughput", size, 30_000, {
      monocoque: size === 8 ? 2 * M : 700_000,
      zeromq: 200_000,
      native: size === 8 ? 3 * M : 500_000,
    }, { byDefault: false })
  ),
  // Round trips come one at a time, so a JIT sees few calls per second: 20,000 untimed round
  // trips let V8's optimising tiers finish before the clock starts. On one tree, Node's mean
  // and p99 were 94 and 249 µs after 500 of them, 79 and 121 µs after 20,000.
  ...[8, KIB].map((size) =>
    caseOf("req-rep-rtt", "latency", size, 20_000, {
      monocoque: 10_000,
      zeromq: 10_000,
      native: 10_000,
      raw: 10_000,
    })
  ),
  ...[8, KIB].map((size) =>
    caseOf("dealer-router-rtt", "latency", size, 20_000, {
      monocoque: 10_000,
      zeromq: 10_000,
      native: 10_000,
    }, { runs: 2 })
  ),
  // A Publisher drops what a subscriber cannot take, so what one sends says little about how
  // long a run takes: these counts keep the deliveries (count × subscribers × share) bounded,
  // about a second of them each. Fewer measure the ramp-up: with 5,000 messages to 100
  // subscribers, Node delivered 2.9-3.2M msg/s; with 50,000, 4.7-5.0M (bench/fanout.ts).
  caseOf("pub-sub", "fan-out", 64, 20_000, {
    monocoque: 1 * M,
    zeromq: 150_000,
    native: 2 * M,
  }, { subscribers: 1 }),
  caseOf("pub-sub", "fan-out", 64, 20_000, {
    monocoque: 300_000,
    zeromq: 30_000,
    native: 500_000,
  }, { subscribers: 10 }),
  caseOf("pub-sub", "fan-out", 64, 20_000, {
    monocoque: 50_000,
    zeromq: 2_000,
    native: 100_000,
  }, { subscribers: 100 }),
  ...[8, KIB].map((size) =>
    caseOf("inproc-push-pull", "inproc", size, 20_000, {
      monocoque: 1 * M,
      zeromq: 20_000,
      native: size === 8 ? 3 * M : 1 * M,
    }, { runs: 2 })
  ),
];

/**
 * The case whose raw floor a case is compared with: the framed-write floor for Push → Pull
 * NULL, the ping-pong floor (run with Request/Reply) for both latency groups.
 *
 * @example
 * ```ts
 * floorCaseId(CASES[0]); // "push-pull/8"
 * ```
 */
export function floorCaseId(c: Case): string | undefined {
  if (c.group === "push-pull") return c.id;
  if (c.kind === "latency") return `req-rep-rtt/${c.size}`;
  return undefined;
}

/**
 * "8 B", "1 KiB", "1 MiB".
 *
 * @example
 * ```ts
 * sizeLabel(65536); // "64 KiB"
 * ```
 */
export function sizeLabel(size: number): string {
  if (size >= KIB * KIB && size % (KIB * KIB) === 0) return `${size / KIB / KIB} MiB`;
  return size >= KIB && size % KIB === 0 ? `${size / KIB} KiB` : `${size} B`;
}

/**
 * What distinguishes a case in its table: its size, or its subscribers for fan-out.
 *
 * @example
 * ```ts
 * caseLabel(CASES[0]); // "8 B"
 * ```
 */
export function caseLabel(c: Case): string {
  return c.kind === "fan-out"
    ? `${c.subscribers} subscriber${c.subscribers === 1 ? "" : "s"}, ${sizeLabel(c.size)}`
    : sizeLabel(c.size);
}
