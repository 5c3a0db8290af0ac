/**
 * The command line of `bench/run.ts`.
 *
 * @module
 */

import process from "node:process";
import { type Case, CASES, type GroupId, GROUPS } from "./cases.ts";
import { type Implementation, IMPLEMENTATIONS, type Runtime, RUNTIMES } from "./implementations.ts";
import { STANDALONES } from "./standalone.ts";

/** What one command runs. */
export interface Options {
  /** Every case this many times, instead of its own number. */
  readonly runs: number | undefined;
  readonly impls: readonly Implementation[];
  readonly cases: readonly Case[];
  /** The standalone cases (memory, scale) selected. */
  readonly standalones: readonly ("memory" | "scale")[];
  /** The runtimes the standalone cases run on. */
  readonly standaloneRuntimes: readonly Runtime[];
  readonly scale: number;
  readonly timeoutMs: number;
  readonly standaloneTimeoutMs: number;
  readonly write: boolean;
}

/** The usage text. */
export const USAGE = `options:
  --cases=LIST       groups or case ids (${
  Object.keys(GROUPS).join(", ")
}, memory, scale; e.g. push-pull/8, pub-sub/100); "default" is every case run without
                     --cases (dealer-router is off by default)
  --patterns=LIST    push-pull, dealer-router, req-rep, pub-sub, inproc (keeps cases of these)
  --sizes=LIST       keeps cases of these payload sizes (bytes)
  --mechanisms=LIST  null, curve
  --impl=LIST        zeromq, native, node, deno, bun, raw (the three floors), raw-node, ...
  --runs=N           every case N times (default: 3)
  --scale=X          multiplies every count (0.05 for a quick smoke of everything)
  --timeout=SECONDS  per run (default 60); --standalone-timeout=SECONDS (default 300)
  --no-write         leave bench/RESULTS.md alone`;

function usage(message: string): never {
  console.error(`bench/run.ts: ${message}\n${USAGE}`);
  process.exit(2);
}

function list(value: string): string[] {
  return value.split(",").map((item) => item.trim()).filter((item) => item !== "");
}

const PATTERNS: Record<string, readonly GroupId[]> = {
  "push-pull": ["push-pull", "push-pull-curve"],
  "dealer-router": ["dealer-router", "dealer-router-rtt"],
  "req-rep": ["req-rep-rtt"],
  "pub-sub": ["pub-sub"],
  inproc: ["inproc-push-pull"],
};

/**
 * Parses the command line; exits with the usage on a bad one.
 *
 * @example
 * ```ts
 * const options = parseOptions(["--scale=0.05", "--runs=1"]);
 * ```
 */
export function parseOptions(argv: readonly string[]): Options {
  let runs: number | undefined;
  let impls: readonly Implementation[] = IMPLEMENTATIONS;
  let cases: readonly Case[] = CASES.filter((c) => c.byDefault);
  let standalones: ("memory" | "scale")[] = STANDALONES.map((s) => s.id);
  let scale = 1;
  let timeoutMs = 60_000;
  let standaloneTimeoutMs = 300_000;
  let write = true;
  const number = (arg: string, value: string, check: (n: number) => boolean): number => {
    const n = Number(value);
    if (!check(n)) usage(`bad ${arg}`);
    return n;
  };
  for (const arg of argv) {
    const at = arg.indexOf("=");
    const [name, value] = at === -1 ? [arg, ""] : [arg.slice(0, at), arg.slice(at + 1)];
    if (name === "--runs") {
      runs = number(arg, value, (n) => Number.isInteger(n) && n >= 1);
    } else if (name === "--impl") {
      const ids = list(value).flatMap((
        id,
      ) => (id === "raw" ? RUNTIMES.map((r) => `raw-${r}`) : [id]));
      const unknown = ids.filter((id) => !IMPLEMENTATIONS.some((impl) => impl.id === id));
      if (unknown.length > 0) usage(`unknown implementation(s) ${unknown.join(", ")}`);
      impls = IMPLEMENTATIONS.filter((impl) => ids.includes(impl.id));
    } else if (name === "--cases") {
      const wanted = list(value);
      const known = (id: string) =>
        id === "default" || id in GROUPS || CASES.some((c) => c.id === id) ||
        STANDALONES.some((s) => s.id === id);
      const unknown = wanted.filter((id) => !known(id));
      if (unknown.length > 0) usage(`unknown case(s) ${unknown.join(", ")}`);
      cases = CASES.filter((c) =>
        wanted.includes(c.id) || wanted.includes(c.group) ||
        (wanted.includes("default") && c.byDefault)
      );
      standalones = STANDALONES.map((s) => s.id).filter((id) =>
        wanted.includes(id) || wanted.includes("default")
      );
    } else if (name === "--patterns") {
      const wanted = list(value);
      const unknown = wanted.filter((p) => !(p in PATTERNS));
      if (unknown.length > 0) usage(`unknown pattern(s) ${unknown.join(", ")}`);
      const groups = wanted.flatMap((p) => PATTERNS[p]);
      cases = cases.filter((c) => groups.includes(c.group));
      standalones = [];
    } else if (name === "--sizes") {
      const sizes = list(value).map(Number);
      cases = cases.filter((c) => sizes.includes(c.size));
      standalones = [];
    } else if (name === "--mechanisms") {
      const mechanisms = list(value);
      cases = cases.filter((c) => mechanisms.includes(c.mechanism));
      standalones = [];
    } else if (name === "--scale") {
      scale = number(arg, value, (n) => n > 0);
    } else if (name === "--timeout") {
      timeoutMs = number(arg, value, (n) => n > 0) * 1000;
    } else if (name === "--standalone-timeout") {
      standaloneTimeoutMs = number(arg, value, (n) => n > 0) * 1000;
    } else if (name === "--no-write") {
      write = false;
    } else {
      usage(`unknown argument ${arg}`);
    }
  }
  const standaloneRuntimes = RUNTIMES.filter((r) => impls.some((impl) => impl.id === r));
  if (cases.length === 0 && (standalones.length === 0 || standaloneRuntimes.length === 0)) {
    usage("no case matches these options");
  }
  return {
    runs,
    impls,
    cases,
    standalones,
    standaloneRuntimes,
    scale,
    timeoutMs,
    standaloneTimeoutMs,
    write,
  };
}
