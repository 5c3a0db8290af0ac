/**
 * What the report says about where it was measured: the machine, its load, the runtimes, the
 * libraries and the commit.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { join } from "node:path";
import { BIN, ROOT } from "./implementations.ts";

function firstLine(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { cwd: ROOT, encoding: "utf8", timeout: 20_000 }).trim()
      .split("\n")[0];
  } catch (error) {
    return `unknown (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`;
  }
}

/** The commit measured, and whether the library's sources differ from it. */
function sourceState(): string {
  const commit = firstLine("git", ["rev-parse", "--short", "HEAD"]);
  let changed: string[] = [];
  try {
    changed = execFileSync(
      "git",
      ["status", "--porcelain", "--", "mod.ts", "core", "zmtp", "sockets", "adapters"],
      { cwd: ROOT, encoding: "utf8", timeout: 20_000 },
    ).split("\n").filter((line) => line.trim() !== "").map((line) => line.slice(3));
  } catch { /* reported as a clean tree */ }
  return changed.length === 0
    ? `commit ${commit}`
    : `commit ${commit} plus uncommitted changes to ${changed.join(", ")}`;
}

/** The measuring environment. */
export interface Environment {
  readonly date: string;
  readonly cpu: string;
  readonly cores: number;
  readonly ramGiB: string;
  readonly kernel: string;
  readonly load: string;
  readonly source: string;
  readonly node: string;
  readonly deno: string;
  readonly bun: string;
  readonly zeromq: string;
  /** The libzmq inside the zeromq package. */
  readonly zeromqLibzmq: string;
  readonly cc: string;
}

/**
 * Reads the environment (runs each runtime once for its version).
 *
 * @example
 * ```ts
 * console.log(environment().node);
 * ```
 */
export function environment(): Environment {
  let cpu = "unknown";
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpu;
  } catch {
    cpu = cpus()[0]?.model ?? cpu;
  }
  let zeromq = "unknown";
  try {
    zeromq = JSON.parse(readFileSync(join(ROOT, "node_modules", "zeromq", "package.json"), "utf8"))
      .version;
  } catch { /* reported as unknown */ }
  return {
    date: new Date().toISOString(),
    cpu,
    cores: cpus().length,
    ramGiB: (totalmem() / 2 ** 30).toFixed(1),
    kernel: `Linux ${release()}`,
    load: loadavg().map((l) => l.toFixed(2)).join(" "),
    source: sourceState(),
    node: firstLine(join(BIN, "node"), ["--version"]).replace(/^v/, ""),
    deno: firstLine(join(BIN, "deno"), ["--version"]).replace(/^deno (\S+).*$/, "$1"),
    bun: firstLine(join(BIN, "bun"), ["--version"]),
    zeromq,
    zeromqLibzmq: firstLine(join(BIN, "node"), ["-p", 'require("zeromq").version']),
    cc: firstLine("cc", ["--version"]),
  };
}
