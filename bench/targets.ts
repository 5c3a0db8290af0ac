/**
 * The performance targets, each checked against ratios measured in the same command, for the
 * "Targets" section at the top of `bench/RESULTS.md`.
 *
 * @module
 */

import { sizeLabel } from "./cases.ts";
import { RUNTIMES, runtimeTitle } from "./implementations.ts";
import type { StandaloneResult } from "./standalone.ts";
import type { Summaries } from "./summary.ts";
import { DEFAULT_NOTE, TARGET_NOTES } from "./target_notes.ts";

/** One target and how it fared. */
export interface TargetRow {
  readonly id: string;
  readonly target: string;
  /** What was measured, e.g. "1.12x" or "143 MiB". */
  readonly measured: string;
  /** undefined: not measured in this command. */
  readonly met: boolean | undefined;
  /** For an unmet target: why, from `bench/target_notes.ts`. */
  readonly why: string;
}

function row(
  id: string,
  target: string,
  value: number | undefined,
  met: (value: number) => boolean,
  format: (value: number) => string = (v) => `${v.toFixed(2)}x`,
): TargetRow {
  const ok = value === undefined ? undefined : met(value);
  return {
    id,
    target,
    measured: value === undefined ? "not measured" : format(value),
    met: ok,
    why: ok === false ? TARGET_NOTES[id] ?? DEFAULT_NOTE : "",
  };
}

const KIB = 1024;

function standaloneRows(standalones: readonly StandaloneResult[]): TargetRow[] {
  return RUNTIMES.flatMap((runtime) => {
    const memory = standalones.find((s) => s.standalone.id === "memory" && s.runtime === runtime);
    const scale = standalones.find((s) => s.standalone.id === "scale" && s.runtime === runtime);
    const title = runtimeTitle(runtime);
    const peak = (s: StandaloneResult | undefined): number | undefined => {
      const values = Object.values(s?.peakRssMiB ?? {});
      return values.length === 0 ? undefined : Math.max(...values);
    };
    // A smoke run (--scale) measures fewer: say how many beside the figure.
    const at = (s: StandaloneResult | undefined): string =>
      s === undefined || s.size === s.standalone.fullSize
        ? ""
        : ` (at ${s.size.toLocaleString("en-US")})`;
    const memoryPeak = peak(memory);
    const scalePeak = peak(scale);
    const scaleOk = scale?.ok === true && scale.seconds !== undefined && scalePeak !== undefined;
    return [
      row(
        `memory-${runtime}`,
        `Memory, ${title}: Push sends 10 million 1 KiB messages to a Pull that stops reading;` +
          " both processes < 200 MiB RSS",
        memory?.ok === true ? memoryPeak : undefined,
        (v) => v < 200,
        (v) => `${v.toFixed(0)} MiB (largest peak)${at(memory)}`,
      ),
      row(
        `scale-${runtime}`,
        `Scale, ${title}: one Router serves 10,000 Dealers in < 30 s, < 1 GiB RSS`,
        scaleOk ? scale.seconds : undefined,
        (v) => v < 30 && scalePeak! < 1024,
        (v) => `${v.toFixed(1)} s, ${scalePeak!.toFixed(0)} MiB${at(scale)}`,
      ),
    ];
  });
}

/**
 * Every target row, measured or not.
 *
 * @example
 * ```ts
 * for (const t of targets(summaries, standalones)) console.log(t.target, t.met);
 * ```
 */
export function targets(
  summaries: Summaries,
  standalones: readonly StandaloneResult[],
): TargetRow[] {
  const rows: TargetRow[] = [];
  const rate = (caseId: string, impl: string) => summaries.find(caseId, impl)?.rate?.median;
  for (const runtime of RUNTIMES) {
    const title = runtimeTitle(runtime);
    const s8 = summaries.find("push-pull/8", runtime);
    rows.push(
      row(
        `push-pull-8-native-${runtime}`,
        `Push → Pull 8 B, ${title}: msg/s ≥ 1.0× native libzmq`,
        s8?.vsNative,
        (v) => v >= 1,
      ),
      row(
        `push-pull-8-zeromq-${runtime}`,
        `Push → Pull 8 B, ${title}: msg/s ≥ 8× the zeromq package`,
        s8?.vsZeromq,
        (v) => v >= 8,
      ),
    );
    for (const [size, least] of [[KIB, 1], [64 * KIB, 0.8], [KIB * KIB, 0.8]]) {
      rows.push(row(
        `push-pull-${size}-native-${runtime}`,
        `Push → Pull ${sizeLabel(size)}, ${title}: MB/s ≥ ${least.toFixed(1)}× native libzmq`,
        summaries.find(`push-pull/${size}`, runtime)?.vsNative,
        (v) => v >= least,
      ));
    }
    const rtt = summaries.find("req-rep-rtt/8", runtime);
    rows.push(
      row(
        `req-rep-8-floor-${runtime}`,
        `Request/Reply 8 B, ${title}: mean round trip ≤ 1.15× the raw ping-pong of ${title}`,
        rtt?.vsFloor,
        (v) => v <= 1.15,
      ),
      row(
        `req-rep-8-zeromq-${runtime}`,
        `Request/Reply 8 B, ${title}: mean round trip ≤ 0.6× the zeromq package's`,
        rtt?.vsZeromq,
        (v) => v <= 0.6,
      ),
    );
  }
  for (const runtime of ["deno", "bun"] as const) {
    for (const size of [8, 64, KIB, 64 * KIB, KIB * KIB]) {
      const node = rate(`push-pull/${size}`, "node");
      const other = rate(`push-pull/${size}`, runtime);
      rows.push(row(
        `push-pull-${size}-node-vs-${runtime}`,
        `Push → Pull ${sizeLabel(size)}: Node msg/s / ${runtimeTitle(runtime)} msg/s ≤ 1.5`,
        node === undefined || other === undefined ? undefined : node / other,
        (v) => v <= 1.5,
      ));
    }
  }
  for (const runtime of RUNTIMES) {
    rows.push(row(
      `pub-sub-100-native-${runtime}`,
      `Publisher → 100 subscribers, ${runtimeTitle(runtime)}: delivered msg/s ≥ native libzmq's`,
      summaries.find("pub-sub/100", runtime)?.vsNative,
      (v) => v >= 1,
    ));
  }
  rows.push(...standaloneRows(standalones));
  return rows;
}
