/**
 * The CURVE keys of an end, from its environment: `bench/run.ts` makes one key pair for the
 * server (the binding end) and one for the client per command, and hands each end its part as
 * 40-character Z85 strings: `BENCH_CURVE_SERVER_SECRET_KEY` to the server;
 * `BENCH_CURVE_SERVER_KEY`, `BENCH_CURVE_PUBLIC_KEY` and `BENCH_CURVE_SECRET_KEY` to the client.
 *
 * @module
 */

import process from "node:process";
import { type EndArgs, UsageError } from "../end_protocol.ts";
import type { SecurityOptions } from "./library.ts";

function key(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") {
    throw new UsageError(`CURVE needs ${name} in the environment`);
  }
  return value;
}

/**
 * The socket options of the measured connection: none for NULL, CURVE server options for the
 * binding end, client options for the connecting end.
 *
 * @example
 * ```ts
 * const pull = new Pull(curveSecurity(args));
 * ```
 */
export function curveSecurity(args: EndArgs): SecurityOptions {
  if (args.mechanism !== "curve") return {};
  if (args.role === "connect") {
    return {
      curveServerKey: key("BENCH_CURVE_SERVER_KEY"),
      curvePublicKey: key("BENCH_CURVE_PUBLIC_KEY"),
      curveSecretKey: key("BENCH_CURVE_SECRET_KEY"),
    };
  }
  return { curveServer: true, curveSecretKey: key("BENCH_CURVE_SERVER_SECRET_KEY") };
}
