/**
 * Builds the native libzmq end (`bench/native/zmq_end.c`) with the system's C compiler against
 * the system's libzmq (Debian's libzmq3-dev: `zmq.h` and `-lzmq`), into a temporary directory.
 * When that cannot be done the benchmark runs without the native baseline and says why.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./implementations.ts";

const HEADER = "/usr/include/zmq.h";

/** The built program, or why there is none. */
export type NativeBuild =
  | { readonly ok: true; readonly path: string; readonly libzmq: string; remove(): void }
  | { readonly ok: false; readonly reason: string };

/** The libzmq version `zmq.h` declares. */
function headerVersion(header: string): string {
  const text = readFileSync(header, "utf8");
  const parts = new Map<string, string>();
  for (const match of text.matchAll(/#define\s+ZMQ_VERSION_(\w+)\s+(\d+)/g)) {
    parts.set(match[1], match[2]);
  }
  return ["MAJOR", "MINOR", "PATCH"].map((p) => parts.get(p) ?? "?").join(".");
}

/**
 * Compiles the native end with `cc -O2 ... -lzmq -lpthread`.
 *
 * @example
 * ```ts
 * const native = buildNative();
 * if (native.ok) console.log(native.path, native.libzmq);
 * ```
 */
export function buildNative(): NativeBuild {
  if (!existsSync(HEADER)) {
    return { ok: false, reason: `${HEADER} not found (install libzmq3-dev)` };
  }
  const dir = mkdtempSync(join(tmpdir(), "monocoque-bench-"));
  const path = join(dir, "zmq_end");
  try {
    execFileSync(
      "cc",
      ["-O2", "-o", path, join(ROOT, "bench", "native", "zmq_end.c"), "-lzmq", "-lpthread"],
      { stdio: ["ignore", "ignore", "pipe"], timeout: 60_000 },
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    const detail = stderr || (error instanceof Error ? error.message : String(error));
    return { ok: false, reason: `cc failed: ${detail.split("\n").slice(0, 3).join(" ")}` };
  }
  return {
    ok: true,
    path,
    libzmq: headerVersion(HEADER),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
