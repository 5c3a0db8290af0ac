/**
 * What every benchmark end shares, whatever its implementation (monocoque, the zeromq package,
 * a raw runtime floor; `bench/native/zmq_end.c` follows the same rules in C): its command line,
 * the JSON lines it prints, and how it reads its own memory. `bench/run.ts` spawns the ends:
 *
 *     <end> <case> role=bind|connect|both size=N count=N warmup=N [mechanism=null|curve]
 *           [subscribers=N] [endpoints=A,B]
 *
 * The process with `role=bind` binds to `tcp://127.0.0.1:0` and prints
 * `{"type":"ready","endpoints":[...],"runtime":...,"version":...}`; the orchestrator hands
 * those endpoints to the `role=connect` process: as `endpoints=A,B`, or, without that
 * argument, as one comma-separated line on its stdin (so it can start, and load its library,
 * while the other one does). A one-process case (inproc) has
 * `role=both` and prints a "ready" line with no endpoints. Each process prints one
 * `{"type":"result","role":...,"peakRssKiB":n,...}` line with its measurements, closes its
 * sockets and exits by itself. A receiver may print `{"type":"progress","received":n}` lines,
 * so a stall shows how far it got.
 *
 * Runs unchanged on Node, Deno and Bun: it uses only `node:process` and `node:fs`.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";

/** Which process of a case this is. */
export type Role = "bind" | "connect" | "both";

/** The parsed command line of an end. */
export interface EndArgs {
  readonly case: string;
  readonly role: Role;
  readonly size: number;
  readonly count: number;
  readonly warmup: number;
  readonly mechanism: "null" | "curve";
  readonly subscribers: number;
  readonly endpoints: readonly string[];
}

/** A command-line error: the end prints it with the usage and exits with code 2. */
export class UsageError extends Error {}

const USAGE = "<case> role=bind|connect|both size=N count=N warmup=N [mechanism=null|curve]" +
  " [subscribers=N] [endpoints=A,B]";

/**
 * Parses an end's arguments (see the module comment).
 *
 * @example
 * ```ts
 * const args = parseEndArgs(["push-pull", "role=bind", "size=8", "count=10", "warmup=1"]);
 * ```
 */
export function parseEndArgs(argv: readonly string[]): EndArgs {
  const [name, ...rest] = argv;
  if (name === undefined || name.includes("=")) throw new UsageError("no case given");
  const values = new Map<string, string>();
  for (const arg of rest) {
    const at = arg.indexOf("=");
    if (at < 1) throw new UsageError(`bad argument ${arg}`);
    values.set(arg.slice(0, at), arg.slice(at + 1));
  }
  const integer = (key: string, min: number, fallback?: number): number => {
    const text = values.get(key);
    if (text === undefined && fallback !== undefined) return fallback;
    const value = Number(text);
    if (text === undefined || !Number.isInteger(value) || value < min) {
      throw new UsageError(`${key} must be an integer >= ${min}, got ${text}`);
    }
    return value;
  };
  const role = values.get("role");
  if (role !== "bind" && role !== "connect" && role !== "both") {
    throw new UsageError(`role must be bind, connect or both, got ${role}`);
  }
  const mechanism = values.get("mechanism") ?? "null";
  if (mechanism !== "null" && mechanism !== "curve") {
    throw new UsageError(`mechanism must be null or curve, got ${mechanism}`);
  }
  const endpoints = values.get("endpoints");
  return {
    case: name,
    role,
    size: integer("size", 0),
    count: integer("count", 1),
    warmup: integer("warmup", 1),
    mechanism,
    subscribers: integer("subscribers", 1, 1),
    endpoints: endpoints === undefined || endpoints === "" ? [] : endpoints.split(","),
  };
}

/**
 * Runs an end's main function: a usage error exits with code 2 and the usage, any other error
 * with code 1 and its stack.
 *
 * @example
 * ```ts
 * await runMain("floor_end.ts", async (args) => console.log(args.case));
 * ```
 */
export async function runMain(
  script: string,
  main: (args: EndArgs) => Promise<void>,
): Promise<void> {
  try {
    const args = parseEndArgs(process.argv.slice(2));
    if (args.role === "connect" && args.endpoints.length === 0) {
      await main({ ...args, endpoints: await endpointsFromStdin() });
    } else {
      await main(args);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${script}: ${error.message}\nusage: ${script} ${USAGE}`);
      process.exit(2);
    }
    console.error(error);
    process.exit(1);
  }
}

/** Reads stdin to its end: one line of comma-separated endpoints. */
async function endpointsFromStdin(): Promise<string[]> {
  let text = "";
  for await (const chunk of process.stdin) text += String(chunk);
  const endpoints = text.trim().split(",").filter((endpoint) => endpoint !== "");
  if (endpoints.length === 0) {
    throw new UsageError("no endpoints, neither as argument nor on stdin");
  }
  return endpoints;
}

/**
 * Runtime name and version, read without runtime-specific types.
 *
 * @example
 * ```ts
 * runtimeInfo(); // { runtime: "node", version: "24.21.0" }
 * ```
 */
export function runtimeInfo(): { runtime: string; version: string } {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (g.Deno !== undefined) return { runtime: "deno", version: g.Deno.version.deno };
  if (g.Bun !== undefined) return { runtime: "bun", version: g.Bun.version };
  return { runtime: "node", version: process.versions.node };
}

/**
 * Peak and current resident set size in KiB, from /proc (Linux; the same on all runtimes).
 *
 * @example
 * ```ts
 * const { peakRssKiB } = memory();
 * ```
 */
export function memory(): { peakRssKiB: number | null; rssKiB: number | null } {
  try {
    const status = readFileSync("/proc/self/status", "utf8");
    const field = (name: string): number | null => {
      const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
      return match === null ? null : Number(match[1]);
    };
    return { peakRssKiB: field("VmHWM"), rssKiB: field("VmRSS") };
  } catch {
    return { peakRssKiB: null, rssKiB: null };
  }
}

/**
 * Prints one JSON line on stdout.
 *
 * @example
 * ```ts
 * emit({ type: "progress", received: 10 });
 * ```
 */
export function emit(line: Record<string, unknown>): void {
  console.log(JSON.stringify(line));
}

/**
 * Prints the "ready" line of the binding process.
 *
 * @example
 * ```ts
 * emitReady(["tcp://127.0.0.1:5555"], { libzmq: "4.3.5" });
 * ```
 */
export function emitReady(endpoints: readonly string[], about: Record<string, unknown>): void {
  emit({ type: "ready", endpoints, ...runtimeInfo(), ...about });
}

/**
 * Prints the "result" line of a process, with its memory.
 *
 * @example
 * ```ts
 * emitResult("bind", { seconds: 1, messages: 10 });
 * ```
 */
export function emitResult(role: Role, fields: Record<string, unknown>): void {
  emit({ type: "result", role, ...fields, ...memory() });
}

/**
 * The fields of a throughput result.
 *
 * @example
 * ```ts
 * emitResult("bind", throughput(1.5, 1_000_000, 8));
 * ```
 */
export function throughput(
  seconds: number,
  messages: number,
  size: number,
): Record<string, number> {
  return {
    seconds,
    messages,
    messagesPerSecond: messages / seconds,
    megabytesPerSecond: (messages * size) / seconds / 1e6,
  };
}

/**
 * Reports `received` once a second as a progress line until the returned function is called.
 *
 * @example
 * ```ts
 * let received = 0;
 * const stop = reportProgress(() => received);
 * stop();
 * ```
 */
export function reportProgress(received: () => number): () => void {
  const timer = setInterval(
    () => emit({ type: "progress", received: received(), rssKiB: memory().rssKiB }),
    1000,
  );
  return () => clearInterval(timer);
}
