/**
 * One benchmark process seen from the orchestrator: its JSON lines by type (see
 * `bench/end_protocol.ts`), its last progress line, the tail of its stderr, and how it ended.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { createInterface } from "node:readline";
import { ROOT } from "./implementations.ts";

/** Every child still running, killed if the orchestrator itself goes. */
const running = new Set<ChildProcess>();
let exitHooked = false;

/** Kills a child, and its whole process group when it leads one (see `group`). */
function killChild(child: ChildProcess, group: boolean): void {
  if (group && child.pid !== undefined) {
    try {
      process.kill(-child.pid, "SIGKILL");
      return;
    } catch { /* the group is gone; kill the child itself below */ }
  }
  child.kill("SIGKILL");
}

const groups = new WeakSet<ChildProcess>();

function killRunning(): void {
  for (const child of running) killChild(child, groups.has(child));
}

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on("exit", killRunning);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      killRunning();
      process.exit(130);
    });
  }
}

/** How to start a child. */
export interface ChildOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly group?: boolean;
  readonly stdin?: boolean;
}

/** A parsed JSON line. */
export type JsonLine = Record<string, unknown> & { type?: string };

/**
 * Indents every line of a text by four spaces.
 *
 * @example
 * ```ts
 * indent("a\nb"); // "    a\n    b"
 * ```
 */
export function indent(text: string): string {
  return text.split("\n").map((line) => `    ${line}`).join("\n");
}

/**
 * A child process speaking JSON lines.
 *
 * @example
 * ```ts
 * const end = new ChildEnd("receiver", ["node", "bench/floor_end.ts"], ["framed", "role=bind"]);
 * const ready = await end.line("ready");
 * ```
 */
export class ChildEnd {
  /** How reports name it. */
  readonly label: string;
  /** Resolves when it has exited and its stdout has ended. */
  readonly closed: Promise<void>;
  /** The last `{"type":"progress"}` line. */
  lastProgress: JsonLine | undefined;
  /** Lines that were not JSON. */
  readonly strayOutput: string[] = [];
  readonly #child: ChildProcess;
  #stderr = "";
  #exit: string | undefined;
  readonly #lines = new Map<string, JsonLine>();
  readonly #waiting = new Map<string, { resolve(line: JsonLine): void; reject(e: Error): void }>();

  /**
   * Starts `command` with `args`, with `env` added to this process's environment. With
   * `group`, it leads a process group of its own, and killing it kills the processes it
   * started too (an orchestrator script's ends). With `stdin`, its stdin is a pipe that
   * {@link ChildEnd.input} writes to.
   */
  constructor(
    label: string,
    command: readonly string[],
    args: readonly string[],
    { env = {}, group = false, stdin = false }: ChildOptions = {},
  ) {
    this.label = label;
    this.#child = spawn(command[0], [...command.slice(1), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env, NO_COLOR: "1" },
      stdio: [stdin ? "pipe" : "ignore", "pipe", "pipe"],
      detached: group,
    });
    // A child that died before reading its input must not fail this process with EPIPE.
    this.#child.stdin?.on("error", () => {});
    hookExit();
    running.add(this.#child);
    if (group) groups.add(this.#child);
    this.#child.stderr!.setEncoding("utf8").on("data", (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-4000);
    });
    createInterface({ input: this.#child.stdout! }).on("line", (text) => this.#onLine(text));
    this.closed = new Promise((resolve) => {
      this.#child.on("error", (error) => {
        running.delete(this.#child);
        this.#exit = `could not start: ${error.message}`;
        this.#failWaiting();
        resolve();
      });
      // "close" comes after stdout has ended, so every line has been seen.
      this.#child.on("close", (code, signal) => {
        running.delete(this.#child);
        this.#exit = signal === null ? `exit code ${code}` : `signal ${signal}`;
        this.#failWaiting();
        resolve();
      });
    });
  }

  /** The exit status once closed ("exit code 0", "signal SIGKILL"), else undefined. */
  get exit(): string | undefined {
    return this.#exit;
  }

  /** The last lines of stderr, for failure reports. */
  get stderrTail(): string {
    return this.#stderr.trim().split("\n").slice(-8).join("\n");
  }

  /** Resolves with the first line of this type; rejects if the process ends without one. */
  line(type: string): Promise<JsonLine> {
    const seen = this.#lines.get(type);
    if (seen !== undefined) return Promise.resolve(seen);
    if (this.#exit !== undefined) return Promise.reject(this.#endedError(type));
    return new Promise((resolve, reject) => this.#waiting.set(type, { resolve, reject }));
  }

  /** Writes `text` to its stdin and closes it. */
  input(text: string): void {
    this.#child.stdin?.end(text);
  }

  /** Kills it unless it has exited. */
  kill(): void {
    if (this.#exit === undefined && this.#child.exitCode === null) {
      killChild(this.#child, groups.has(this.#child));
    }
  }

  #onLine(text: string): void {
    let line: JsonLine;
    try {
      line = JSON.parse(text);
    } catch {
      this.strayOutput.push(text);
      return;
    }
    if (line.type === "progress") {
      this.lastProgress = line;
      return;
    }
    if (typeof line.type !== "string" || this.#lines.has(line.type)) return;
    this.#lines.set(line.type, line);
    this.#waiting.get(line.type)?.resolve(line);
    this.#waiting.delete(line.type);
  }

  #failWaiting(): void {
    for (const [type, waiter] of this.#waiting) waiter.reject(this.#endedError(type));
    this.#waiting.clear();
  }

  #endedError(type: string): Error {
    const tail = this.stderrTail;
    return new Error(
      `${this.label} ended (${this.#exit}) before its "${type}" line` +
        (tail === "" ? "" : `; stderr:\n${indent(tail)}`),
    );
  }
}

/**
 * A timer that can be cancelled.
 *
 * @example
 * ```ts
 * const grace = delay(5000);
 * grace.cancel();
 * ```
 */
export function delay(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return { promise, cancel: () => clearTimeout(timer) };
}
