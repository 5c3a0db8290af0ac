/**
 * Saved inputs: `fuzz/regressions/<target>/<name>.hex` holds inputs that
 * once failed (or edge cases worth keeping), replayed by the fuzz test;
 * `fuzz/corpus/<target>/<name>.hex` holds extra valid streams to mutate
 * (such as ones captured from libzmq). A file is hex, whitespace ignored,
 * with `#` lines as comments saying what the input is.
 *
 * @module
 */

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fromHex, toHex } from "../core/bytes.ts";

/** One saved input. */
export interface SavedInput {
  /** The target it is for (its folder). */
  readonly target: string;
  /** The file name without `.hex`. */
  readonly name: string;
  /** The bytes. */
  readonly input: Uint8Array;
}

const FUZZ_DIR = new URL(".", import.meta.url);

/** The folder of saved regressions or corpus files. */
export function savedDir(kind: "regressions" | "corpus"): string {
  return new URL(`${kind}/`, FUZZ_DIR).pathname;
}

/**
 * Every saved input of `kind`, target by target, in name order.
 *
 * @example
 * ```ts
 * for (const { target, name, input } of loadSaved("regressions")) replay(target, input);
 * ```
 */
export function loadSaved(kind: "regressions" | "corpus"): SavedInput[] {
  const root = savedDir(kind);
  if (!existsSync(root)) return [];
  const saved: SavedInput[] = [];
  for (const target of readdirSync(root).sort()) {
    const dir = join(root, target);
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith(".hex")) continue;
      const text = readFileSync(join(dir, file), "utf8");
      const hex = text.split("\n").filter((line) => !line.startsWith("#")).join("").replace(
        /\s+/g,
        "",
      );
      saved.push({ target, name: file.slice(0, -4), input: fromHex(hex) });
    }
  }
  return saved;
}

/** Saved inputs of `kind` grouped by target, as `loadTargets` takes extra corpus. */
export function savedByTarget(kind: "regressions" | "corpus"): Record<string, Uint8Array[]> {
  const grouped: Record<string, Uint8Array[]> = {};
  for (const { target, input } of loadSaved(kind)) (grouped[target] ??= []).push(input);
  return grouped;
}

/**
 * Writes one input, with a comment, and returns its path.
 *
 * @example
 * ```ts
 * saveInput("regressions", "frame_decoder", "seed-1234", input, "threw RangeError: ...");
 * ```
 */
export function saveInput(
  kind: "regressions" | "corpus",
  target: string,
  name: string,
  input: Uint8Array,
  comment: string,
): string {
  const dir = join(savedDir(kind), target);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.hex`);
  const lines = comment.split("\n").map((line) => `# ${line}`);
  const hex = toHex(input).match(/.{1,64}/g) ?? [];
  writeFileSync(path, [...lines, ...hex, ""].join("\n"));
  return path;
}
