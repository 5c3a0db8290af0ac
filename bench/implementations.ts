/**
 * Who is measured: monocoque on each runtime, and the baselines beside it — the npm `zeromq`
 * package on Node, native libzmq from C (`bench/native/zmq_end.c`), and each runtime's raw
 * floor (`bench/floor_end.ts`). Every one is a command that speaks `bench/end_protocol.ts`.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("..", import.meta.url));
/** Binaries come from `<repo>/node_modules/.bin`, never PATH. */
export const BIN: string = join(ROOT, "node_modules", ".bin");
const BENCH = join(ROOT, "bench");

/** The runtimes monocoque runs on. */
export type Runtime = "node" | "deno" | "bun";
/** The runtimes measured. */
export const RUNTIMES: readonly Runtime[] = ["node", "deno", "bun"];

/** Which kind of implementation: the counts of a case are per family. */
export type Family = "monocoque" | "zeromq" | "native" | "raw";

/** One implementation: how to start one of its ends. */
export interface Implementation {
  readonly id: string;
  readonly family: Family;
  /** The runtime of its processes; "native" for the C program. */
  readonly runtime: Runtime | "native";
  /** The command before the end's arguments; the native one is known once it is built. */
  command: readonly string[];
}

/**
 * The command that runs a TypeScript file on a runtime.
 *
 * @example
 * ```ts
 * runtimeCommand("deno", "bench/floor_end.ts"); // [".../deno", "run", "-A", "bench/floor_end.ts"]
 * ```
 */
export function runtimeCommand(runtime: Runtime, script: string): string[] {
  if (runtime === "deno") return [join(BIN, "deno"), "run", "-A", script];
  return [join(BIN, runtime), script];
}

const MONOCOQUE_END = join(BENCH, "monocoque_end.ts");
const FLOOR_END = join(BENCH, "floor_end.ts");

/** Every implementation, in the order of the report's rows. */
export const IMPLEMENTATIONS: readonly Implementation[] = [
  {
    id: "zeromq",
    family: "zeromq",
    runtime: "node",
    command: runtimeCommand("node", join(BENCH, "zeromq_end.ts")),
  },
  { id: "native", family: "native", runtime: "native", command: [] },
  ...RUNTIMES.map((runtime): Implementation => ({
    id: runtime,
    family: "monocoque",
    runtime,
    command: runtimeCommand(runtime, MONOCOQUE_END),
  })),
  ...RUNTIMES.map((runtime): Implementation => ({
    id: `raw-${runtime}`,
    family: "raw",
    runtime,
    command: runtimeCommand(runtime, FLOOR_END),
  })),
];

/**
 * "Node", "Deno", "Bun".
 *
 * @example
 * ```ts
 * runtimeTitle("deno"); // "Deno"
 * ```
 */
export function runtimeTitle(runtime: string): string {
  return runtime[0].toUpperCase() + runtime.slice(1);
}

/** Versions shown in implementation labels. */
export interface Versions {
  readonly zeromq: string;
  readonly zeromqLibzmq: string;
  readonly nativeLibzmq: string;
}

/**
 * How the report names an implementation.
 *
 * @example
 * ```ts
 * implementationLabel(IMPLEMENTATIONS[2], versions); // "monocoque, Node"
 * ```
 */
export function implementationLabel(impl: Implementation, versions: Versions): string {
  switch (impl.family) {
    case "zeromq":
      return `zeromq ${versions.zeromq} (libzmq ${versions.zeromqLibzmq}), Node`;
    case "native":
      return `libzmq ${versions.nativeLibzmq}, C`;
    case "raw":
      return `raw floor, ${runtimeTitle(impl.runtime)}`;
    default:
      return `monocoque, ${runtimeTitle(impl.runtime)}`;
  }
}
