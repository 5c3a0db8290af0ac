/**
 * The child side of `bench/child_process_group.ts`, run unchanged by Node, Deno and Bun: JSON
 * events on stdout, commands on stdin, and the process's own memory peak.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";
import { createInterface } from "node:readline";

/**
 * Prints one event line for the orchestrator.
 *
 * @example
 * ```ts
 * emit({ type: "ready", endpoint: pull.lastEndpoint });
 * ```
 */
export function emit(event: { type: string; [key: string]: unknown }): void {
  process.stdout.write(JSON.stringify(event) + "\n");
}

/**
 * VmHWM and VmRSS of this process in KiB, from /proc/self/status.
 *
 * @example
 * ```ts
 * emit({ type: "done", ...memory() });
 * ```
 */
export function memory(): { vmHwmKiB: number; vmRssKiB: number } {
  const status = readFileSync("/proc/self/status", "utf8");
  const kib = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1]);
  return { vmHwmKiB: kib("VmHWM"), vmRssKiB: kib("VmRSS") };
}

/**
 * Calls `command` for each JSON line on stdin; the promise resolves when stdin ends (the
 * orchestrator's cue to finish).
 *
 * @example
 * ```ts
 * await commands((command) => { if (command.type === "go") start(); });
 * ```
 */
export function commands(
  command: (line: { type: string; [key: string]: unknown }) => void,
): Promise<void> {
  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin });
    lines.on("line", (text) => {
      if (text.trim() !== "") command(JSON.parse(text));
    });
    lines.on("close", () => resolve());
  });
}

/**
 * Resolves after `ms` milliseconds.
 *
 * @example
 * ```ts
 * await delay(3000); // a reader that stops reading for 3 s
 * ```
 */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
