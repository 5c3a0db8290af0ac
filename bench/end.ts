/**
 * One end of a benchmark with a ZeroMQ library, shared by every implementation: the
 * implementation's script (`bench/monocoque_end.ts` on `node`, `deno run -A` or `bun`;
 * `bench/zeromq_end.ts` on `node`) hands its socket classes to {@link runEnd}, which runs the
 * case its command line names (see `bench/end_protocol.ts` for the command line and the JSON
 * lines): `push-pull`, `dealer-router` (`bench/ends/throughput.ts`), `req-rep-rtt`,
 * `dealer-router-rtt` (`bench/ends/round_trip.ts`), `pub-sub` (`bench/ends/fan_out.ts`) and
 * `inproc-push-pull` (`bench/ends/inproc.ts`).
 *
 * @module
 */

import { type EndArgs, runMain, UsageError } from "./end_protocol.ts";
import { fanOutEnd } from "./ends/fan_out.ts";
import { inprocEnd } from "./ends/inproc.ts";
import type { EndContext, Library } from "./ends/library.ts";
import { ROUND_TRIP_CASES, roundTripEnd } from "./ends/round_trip.ts";
import { THROUGHPUT_CASES, throughputEnd } from "./ends/throughput.ts";

export type { Library } from "./ends/library.ts";

function caseEnd(name: string): (context: EndContext, args: EndArgs) => Promise<void> {
  if (THROUGHPUT_CASES.includes(name)) return throughputEnd;
  if (ROUND_TRIP_CASES.includes(name)) return roundTripEnd;
  if (name === "pub-sub") return fanOutEnd;
  if (name === "inproc-push-pull") return inprocEnd;
  throw new UsageError(`unknown case "${name}"`);
}

/**
 * Runs one end with the given implementation, as the command line says.
 *
 * @param script the implementation's script name, for messages
 * @param library its socket classes
 * @param about extra fields for the "ready" line (such as the libzmq version)
 * @example
 * ```ts
 * import * as monocoque from "../mod.ts";
 * await runEnd("monocoque_end.ts", monocoque);
 * ```
 */
export async function runEnd(
  script: string,
  library: Library,
  about: Record<string, unknown> = {},
): Promise<void> {
  await runMain(script, (args) => caseEnd(args.case)({ library, about }, args));
}
