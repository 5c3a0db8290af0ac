/**
 * One run of one case on one implementation: the binding process and the connecting one start
 * together, and the connecting one gets the endpoints from the other's "ready" line on its
 * stdin (one process only for inproc); both results collected, both processes expected to exit
 * by themselves with code 0. A watchdog kills both ends of a run that takes too long and
 * records how far the receiver got.
 *
 * @module
 */

import { type Case, endCaseName } from "./cases.ts";
import { ChildEnd, delay, indent, type JsonLine } from "./child_end.ts";
import type { Implementation } from "./implementations.ts";

/** How long an end may take to exit after printing its result before it counts as hung. */
const EXIT_GRACE_MS = 5_000;

/** One run and what came of it. */
export interface RunRecord {
  readonly impl: Implementation;
  readonly case: Case;
  readonly count: number;
  readonly warmup: number;
  /** The round (0-based) it ran in. */
  readonly round: number;
  /** The result line of the binding (or only) process. */
  bind?: JsonLine;
  /** The result line of the connecting process. */
  connect?: JsonLine;
  readonly problems: string[];
}

/** The CURVE keys of one command: the binding end is the server, the connecting its client. */
export interface CurveKeys {
  readonly server: { readonly publicKey: string; readonly secretKey: string };
  readonly client: { readonly publicKey: string; readonly secretKey: string };
}

function curveEnvironment(
  c: Case,
  keys: CurveKeys,
  role: "bind" | "connect",
): Record<string, string> {
  if (c.mechanism !== "curve") return {};
  if (role === "bind") return { BENCH_CURVE_SERVER_SECRET_KEY: keys.server.secretKey };
  return {
    BENCH_CURVE_SERVER_KEY: keys.server.publicKey,
    BENCH_CURVE_PUBLIC_KEY: keys.client.publicKey,
    BENCH_CURVE_SECRET_KEY: keys.client.secretKey,
  };
}

/**
 * Runs `record`'s case on its implementation and fills in its results and problems.
 *
 * @example
 * ```ts
 * await runOnce(record, 60_000, keys);
 * if (record.problems.length > 0) console.log(record.problems);
 * ```
 */
export async function runOnce(
  record: RunRecord,
  timeoutMs: number,
  keys: CurveKeys,
): Promise<void> {
  const { impl, count, warmup } = record;
  const c = record.case;
  const inproc = c.kind === "inproc";
  const args = (role: string): string[] => [
    endCaseName(c, impl),
    `role=${role}`,
    `size=${c.size}`,
    `count=${count}`,
    `warmup=${warmup}`,
    `mechanism=${c.mechanism}`,
    `subscribers=${c.subscribers}`,
  ];
  const name = `${c.id} ${impl.id}`;
  const ends: ChildEnd[] = [];
  const watchdog = delay(timeoutMs);
  const timedOut = watchdog.promise.then((): never => {
    throw new Error("watchdog");
  });
  // It may fire while nothing races it any more (during the exit grace period).
  timedOut.catch(() => {});
  try {
    const first = new ChildEnd(
      `${name} ${inproc ? "process" : "bind"}`,
      impl.command,
      args(inproc ? "both" : "bind"),
      { env: curveEnvironment(c, keys, "bind") },
    );
    ends.push(first);
    // Started at once, to load while the first one does; it reads the endpoints from stdin.
    const second = inproc ? undefined : new ChildEnd(
      `${name} connect`,
      impl.command,
      args("connect"),
      { env: curveEnvironment(c, keys, "connect"), stdin: true },
    );
    if (second !== undefined) ends.push(second);
    const ready = await Promise.race([first.line("ready"), timedOut]);
    if (ready.runtime !== impl.runtime) {
      throw new Error(`expected a ${impl.runtime} process, it runs ${ready.runtime}`);
    }
    const endpoints = ready.endpoints;
    if (!Array.isArray(endpoints) || (!inproc && endpoints.length === 0)) {
      throw new Error(`the "ready" line has no endpoints: ${JSON.stringify(ready)}`);
    }
    second?.input(`${endpoints.join(",")}\n`);
    const results = await Promise.race([
      Promise.all(ends.map((end) => end.line("result"))),
      timedOut,
    ]);
    record.bind = results[0];
    record.connect = results[1];
    // Both must now exit by themselves: a socket that keeps the event loop alive after close() is a bug.
    const grace = delay(EXIT_GRACE_MS);
    await Promise.race([Promise.all(ends.map((end) => end.closed)), grace.promise]);
    grace.cancel();
    for (const end of ends) {
      if (end.exit === undefined) {
        record.problems.push(`${end.label} did not exit within ${EXIT_GRACE_MS} ms of its result`);
      } else if (end.exit !== "exit code 0") {
        record.problems.push(`${end.label} ended with ${end.exit}:\n${indent(end.stderrTail)}`);
      }
    }
  } catch (error) {
    if (error instanceof Error && error.message === "watchdog") {
      const progress = ends.map((end) => end.lastProgress).find((p) => p !== undefined);
      const got = progress === undefined
        ? "no progress line"
        : `the receiver had ${progress.received} of ${warmup + count} messages` +
          ` (warm-up included), RSS ${progress.rssKiB} KiB`;
      const tails = ends.map((end) =>
        end.stderrTail === "" ? "" : `\n  ${end.label} stderr:\n${indent(end.stderrTail)}`
      );
      record.problems.push(`timed out after ${timeoutMs / 1000} s: ${got}${tails.join("")}`);
    } else {
      record.problems.push(error instanceof Error ? error.message : String(error));
    }
  } finally {
    watchdog.cancel();
    for (const end of ends) end.kill();
    await Promise.all(ends.map((end) => end.closed));
  }
  for (const end of ends) {
    if (end.strayOutput.length > 0) {
      record.problems.push(
        `${end.label} printed non-JSON output: ${end.strayOutput.slice(0, 3).join(" | ")}`,
      );
    }
  }
}

/**
 * The measured result line of a run: the one with a rate or a latency.
 *
 * @example
 * ```ts
 * const rate = measurement(record)?.messagesPerSecond;
 * ```
 */
export function measurement(record: RunRecord): JsonLine | undefined {
  return [record.bind, record.connect].find((line) =>
    typeof line?.messagesPerSecond === "number" || typeof line?.meanUs === "number"
  );
}
