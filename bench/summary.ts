/**
 * From runs to the report's rows: per case and implementation, the median over its runs, and
 * its ratios to the baselines measured in the same command.
 *
 * Ratios are "how many times the baseline": for throughput, msg/s over the baseline's msg/s
 * (above 1 is faster); for latency, the mean round trip over the baseline's mean (below 1 is
 * faster).
 *
 * @module
 */

import { type Case, CASES, floorCaseId } from "./cases.ts";
import { type Implementation, IMPLEMENTATIONS } from "./implementations.ts";
import { measurement, type RunRecord } from "./run_once.ts";
import { maxOf, median } from "./stats.ts";

/** One row of a table: one case on one implementation. */
export interface Summary {
  readonly impl: Implementation;
  readonly case: Case;
  readonly count: number;
  readonly runs: number;
  /** Runs that measured something and had no problem. */
  readonly ok: number;
  /** msg/s: median, min, max over the runs (throughput, fan-out, inproc). */
  readonly rate?: { readonly median: number; readonly min: number; readonly max: number };
  /** MB/s, median. */
  readonly megabytesPerSecond?: number;
  /** Round trips in µs: the median over the runs of each run's mean, p50 and p99. */
  readonly latency?: { readonly mean: number; readonly p50: number; readonly p99: number };
  /** Fan-out: the median share of published messages × subscribers that arrived. */
  readonly delivered?: number;
  readonly bindPeakKiB?: number;
  readonly connectPeakKiB?: number;
  vsZeromq?: number;
  vsNative?: number;
  vsFloor?: number;
}

function numbers(lines: readonly (Record<string, unknown> | undefined)[], key: string): number[] {
  return lines.map((line) => line?.[key]).filter((v): v is number => typeof v === "number");
}

function summary(impl: Implementation, c: Case, runs: readonly RunRecord[]): Summary {
  const measured = runs.filter((r) => measurement(r) !== undefined);
  const lines = measured.map(measurement);
  const rates = numbers(lines, "messagesPerSecond");
  const means = numbers(lines, "meanUs");
  const delivered = lines.map((line) =>
    typeof line?.messages === "number" && typeof line.expected === "number"
      ? line.messages / line.expected
      : undefined
  ).filter((v): v is number => v !== undefined);
  return {
    impl,
    case: c,
    count: runs[0]?.count ?? 0,
    runs: runs.length,
    ok: measured.filter((r) => r.problems.length === 0).length,
    ...(rates.length === 0 ? {} : {
      rate: { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) },
      megabytesPerSecond: median(numbers(lines, "megabytesPerSecond")),
    }),
    ...(means.length === 0 ? {} : {
      latency: {
        mean: median(means),
        p50: median(numbers(lines, "p50Us")),
        p99: median(numbers(lines, "p99Us")),
      },
    }),
    ...(delivered.length === 0 ? {} : { delivered: median(delivered) }),
    bindPeakKiB: maxOf(measured.map((r) => r.bind?.peakRssKiB as number | undefined)),
    connectPeakKiB: maxOf(measured.map((r) => r.connect?.peakRssKiB as number | undefined)),
  };
}

/** The figure a ratio compares: msg/s, or the mean round trip. */
function figure(s: Summary | undefined): number | undefined {
  return s?.rate?.median ?? s?.latency?.mean;
}

function ratio(s: Summary, base: Summary | undefined): number | undefined {
  const [value, baseline] = [figure(s), figure(base)];
  return value === undefined || baseline === undefined ? undefined : value / baseline;
}

/** Every summary of a command, with a lookup by case id and implementation id. */
export interface Summaries {
  readonly all: readonly Summary[];
  find(caseId: string, implId: string): Summary | undefined;
}

/**
 * Summarises the runs, one row per case and implementation that ran, in the report's order.
 *
 * @example
 * ```ts
 * const summaries = summarise(records);
 * summaries.find("push-pull/8", "node")?.rate?.median;
 * ```
 */
export function summarise(records: readonly RunRecord[]): Summaries {
  const all: Summary[] = [];
  for (const c of CASES) {
    for (const impl of IMPLEMENTATIONS) {
      const runs = records.filter((r) => r.impl === impl && r.case === c);
      if (runs.length > 0) all.push(summary(impl, c, runs));
    }
  }
  const find = (caseId: string, implId: string) =>
    all.find((s) => s.case.id === caseId && s.impl.id === implId);
  for (const s of all) {
    s.vsZeromq = ratio(s, find(s.case.id, "zeromq"));
    s.vsNative = ratio(s, find(s.case.id, "native"));
    const floorCase = floorCaseId(s.case);
    if (floorCase !== undefined && s.impl.runtime !== "native") {
      s.vsFloor = ratio(s, find(floorCase, `raw-${s.impl.runtime}`));
    }
  }
  return { all, find };
}
