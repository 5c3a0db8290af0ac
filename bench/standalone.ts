/**
 * The memory and scale cases, each measured by its own orchestrator (`bench/memory.ts`,
 * `bench/scale.ts`), run here once per runtime. Contract: `node bench/<case>.ts
 * --runtime=node|deno|bun [--count=N | --dealers=N]` prints progress to stderr and exactly one
 * JSON line to stdout at the end:
 * `{"type":"result","case":...,"runtime":...,"ok":bool,"seconds":n,"peakRssMiB":{label: n},
 * "details":{...},"problem"?:string}`.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import { ChildEnd, delay, indent } from "./child_end.ts";
import { BIN, ROOT, type Runtime } from "./implementations.ts";

/** A standalone case: its script, and its size argument at full scale. */
export interface Standalone {
  readonly id: "memory" | "scale";
  readonly title: string;
  readonly script: string;
  readonly sizeArg: string;
  readonly fullSize: number;
}

/** The standalone cases, in the order of the report. */
export const STANDALONES: readonly Standalone[] = [
  {
    id: "memory",
    title: "Memory: 10 million 1 KiB messages into a Pull that stops reading",
    script: join(ROOT, "bench", "memory.ts"),
    sizeArg: "count",
    fullSize: 10_000_000,
  },
  {
    id: "scale",
    title: "Scale: one Router serving 10,000 Dealers, one request/reply each",
    script: join(ROOT, "bench", "scale.ts"),
    sizeArg: "dealers",
    fullSize: 10_000,
  },
];

/** The result of one standalone run. */
export interface StandaloneResult {
  readonly standalone: Standalone;
  readonly runtime: Runtime;
  readonly size: number;
  readonly ok: boolean;
  readonly seconds?: number;
  readonly peakRssMiB: Readonly<Record<string, number>>;
  readonly details?: unknown;
  /** What went wrong: the script's own problem, or how it failed to report. */
  readonly problem?: string;
}

/**
 * Runs one standalone case on one runtime, within `timeoutMs`.
 *
 * @example
 * ```ts
 * const result = await runStandalone(STANDALONES[0], "node", 1, 300_000);
 * ```
 */
export async function runStandalone(
  standalone: Standalone,
  runtime: Runtime,
  scale: number,
  timeoutMs: number,
): Promise<StandaloneResult> {
  const size = Math.max(1, Math.round(standalone.fullSize * scale));
  const failed = (problem: string): StandaloneResult => ({
    standalone,
    runtime,
    size,
    ok: false,
    peakRssMiB: {},
    problem,
  });
  if (!existsSync(standalone.script)) return failed(`${standalone.script} does not exist`);
  const args = [`--runtime=${runtime}`];
  if (scale !== 1) args.push(`--${standalone.sizeArg}=${size}`);
  const child = new ChildEnd(
    `${standalone.id} ${runtime}`,
    [join(BIN, "node"), standalone.script],
    args,
    { group: true },
  );
  const watchdog = delay(timeoutMs);
  try {
    const line = await Promise.race([
      child.line("result"),
      watchdog.promise.then((): never => {
        throw new Error(`timed out after ${timeoutMs / 1000} s`);
      }),
    ]);
    await child.closed;
    const peaks = typeof line.peakRssMiB === "object" && line.peakRssMiB !== null
      ? line.peakRssMiB as Record<string, number>
      : {};
    const problems = [
      typeof line.problem === "string" ? line.problem : undefined,
      child.exit === "exit code 0" ? undefined : `ended with ${child.exit}`,
    ].filter((p) => p !== undefined);
    return {
      standalone,
      runtime,
      size,
      ok: line.ok === true,
      seconds: typeof line.seconds === "number" ? line.seconds : undefined,
      peakRssMiB: peaks,
      details: line.details,
      ...(problems.length === 0 ? {} : { problem: problems.join("; ") }),
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const tail = child.stderrTail;
    return failed(
      tail === "" || message.includes("stderr") ? message : `${message}:\n${indent(tail)}`,
    );
  } finally {
    watchdog.cancel();
    child.kill();
    await child.closed;
  }
}
