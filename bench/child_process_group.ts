/**
 * What the memory and scale orchestrators (`bench/memory.ts`, `bench/scale.ts`) share: child
 * processes on a chosen runtime that speak JSON lines (events on stdout, commands on stdin),
 * their resident memory sampled from /proc several times a second, a watchdog, and cleanup of
 * every child whatever happens. Runs on Node only; the children run on any runtime.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** The runtimes a child can run on. */
export type Runtime = "node" | "deno" | "bun";

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "node_modules", ".bin");

/** One JSON line from a child. */
export type Event = { readonly type: string; readonly [key: string]: unknown };

/**
 * Parses `--name=value` arguments of an orchestrator into a map; bare `--name` gives "".
 *
 * @example
 * ```ts
 * const args = parseArgs(["--runtime=deno", "--count=1000"]); // Map { runtime → deno, ... }
 * ```
 */
export function parseArgs(argv: readonly string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([^=]+)(?:=(.*))?$/.exec(arg);
    if (match === null) throw new TypeError(`unknown argument ${arg}`);
    args.set(match[1], match[2] ?? "");
  }
  return args;
}

/**
 * Reads `--runtime=` (node, deno or bun; node if absent).
 *
 * @example
 * ```ts
 * const runtime = runtimeArg(parseArgs(process.argv.slice(2)));
 * ```
 */
export function runtimeArg(args: Map<string, string>): Runtime {
  const runtime = args.get("runtime") ?? "node";
  if (runtime !== "node" && runtime !== "deno" && runtime !== "bun") {
    throw new TypeError(`--runtime must be node, deno or bun, not ${runtime}`);
  }
  return runtime;
}

/**
 * Reads a positive integer argument, `fallback` if absent.
 *
 * @example
 * ```ts
 * const count = integerArg(args, "count", 10_000_000);
 * ```
 */
export function integerArg(args: Map<string, string>, name: string, fallback: number): number {
  const text = args.get(name);
  if (text === undefined) return fallback;
  const value = Number(text.replaceAll("_", ""));
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`--${name} must be a positive integer, not ${text}`);
  }
  return value;
}

/**
 * The command that runs `script` (relative to the repository, or absolute) on `runtime`, with the
 * runtime's binary from `<repo>/node_modules/.bin`.
 *
 * @example
 * ```ts
 * const command = runtimeCommand("deno", "bench/memory_end.ts"); // [".../deno", "run", "-A", ...]
 * ```
 */
export function runtimeCommand(runtime: Runtime, script: string): string[] {
  const path = resolve(ROOT, script);
  if (runtime === "node") return [join(BIN, "node"), path];
  if (runtime === "deno") return [join(BIN, "deno"), "run", "-A", path];
  return [join(BIN, "bun"), path];
}

/** Resident-memory statistics of one process over a run, in MiB. */
export interface RssSummary {
  /** Highest VmRSS sampled. */
  readonly maxSampledMiB: number;
  /** Mean of the samples. */
  readonly meanMiB: number;
  /** VmHWM (the kernel's own peak) at the last sample before the process ended. */
  readonly hwmMiB: number;
  /** How many samples were taken. */
  readonly samples: number;
  /** VmRSS at a few evenly spaced moments, for a quick look at the trend. */
  readonly trendMiB: readonly number[];
}

/**
 * One child process on a runtime, with its JSON-line events, its stdin for commands and its
 * memory sampled from /proc/<pid>/status.
 *
 * @example
 * ```ts
 * const pull = new Child("pull", runtimeCommand("deno", "bench/memory_end.ts"), ["pull"]);
 * const ready = await pull.next("ready");
 * pull.send({ type: "go" });
 * ```
 */
export class Child {
  /** Name of the process in reports. */
  readonly label: string;
  readonly #child: ChildProcess;
  readonly #events: Event[] = [];
  readonly #listeners = new Set<(event: Event) => void>();
  #stderr = "";
  #exit: string | undefined;
  /** Resolves once the process has ended and its output is read. */
  readonly ended: Promise<void>;
  readonly #rss: number[] = [];
  #hwm = 0;

  /**
   * Starts `command` (a program and its first arguments, see `runtimeCommand`) with `args`.
   * @param label name in reports.
   */
  constructor(label: string, command: readonly string[], args: readonly string[]) {
    this.label = label;
    this.#child = spawn(command[0], [...command.slice(1), ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.#child.stdin!.on("error", () => {});
    this.#child.stderr!.setEncoding("utf8").on("data", (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-4000);
    });
    createInterface({ input: this.#child.stdout! }).on("line", (text) => this.#line(text));
    this.ended = new Promise((resolve) => {
      this.#child.on("error", (error) => {
        this.#exit = `could not start: ${error.message}`;
        this.#notify({ type: "exit", status: this.#exit });
        resolve();
      });
      this.#child.on("close", (code, signal) => {
        this.#exit = signal === null ? `exit code ${code}` : `signal ${signal}`;
        this.#notify({ type: "exit", status: this.#exit });
        resolve();
      });
    });
  }

  /** The process id. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** How it ended ("exit code 0", "signal SIGKILL"), undefined while running. */
  get exit(): string | undefined {
    return this.#exit;
  }

  /** The last lines of stderr. */
  get stderrTail(): string {
    return this.#stderr.trim().split("\n").slice(-6).join("\n");
  }

  /** Every event seen so far. */
  get events(): readonly Event[] {
    return this.#events;
  }

  /** Calls `listener` for each event from now on (and `{type:"exit"}` when it ends). */
  listen(listener: (event: Event) => void): void {
    this.#listeners.add(listener);
  }

  /** The first event of `type` (already seen or to come); rejects if the process ends first. */
  next(type: string): Promise<Event> {
    const seen = this.#events.find((event) => event.type === type);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const listener = (event: Event): void => {
        if (event.type === type) {
          this.#listeners.delete(listener);
          resolve(event);
        } else if (event.type === "exit") {
          this.#listeners.delete(listener);
          const tail = this.stderrTail;
          reject(
            new Error(
              `${this.label} ended (${this.#exit}) before "${type}"` +
                (tail === "" ? "" : `; stderr: ${tail}`),
            ),
          );
        }
      };
      if (this.#exit !== undefined) listener({ type: "exit" });
      else this.#listeners.add(listener);
    });
  }

  /** Writes one command line to the child's stdin. */
  send(command: Event): void {
    if (this.#exit === undefined) this.#child.stdin!.write(JSON.stringify(command) + "\n");
  }

  /** Takes one memory sample (VmRSS, and VmHWM which only grows). */
  sample(): void {
    if (this.#exit !== undefined || this.#child.pid === undefined) return;
    let status: string;
    try {
      status = readFileSync(`/proc/${this.#child.pid}/status`, "utf8");
    } catch {
      return; // ended between the check and the read
    }
    const kib = (name: string): number =>
      Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1]);
    const rss = kib("VmRSS");
    const hwm = kib("VmHWM");
    if (Number.isFinite(rss)) this.#rss.push(rss / 1024);
    if (Number.isFinite(hwm)) this.#hwm = Math.max(this.#hwm, hwm / 1024);
  }

  /**
   * CPU time the process has used so far (user and system, every thread), in seconds, read
   * from /proc/<pid>/stat at 100 ticks a second; NaN once it has ended. Less disturbed by
   * other load on the machine than wall-clock time.
   */
  cpuSeconds(): number {
    if (this.#exit !== undefined || this.#child.pid === undefined) return NaN;
    try {
      const stat = readFileSync(`/proc/${this.#child.pid}/stat`, "utf8");
      // Fields after the command name, which is in parentheses and may hold spaces.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      return NaN;
    }
  }

  /** The memory samples so far. */
  rss(): RssSummary {
    const samples = this.#rss;
    const round = (mib: number): number => Math.round(mib * 10) / 10;
    const trend: number[] = [];
    for (let i = 0; i < 8 && samples.length > 0; i++) {
      trend.push(round(samples[Math.floor((i * (samples.length - 1)) / 7)]));
    }
    return {
      maxSampledMiB: round(Math.max(0, ...samples)),
      meanMiB: round(samples.reduce((sum, x) => sum + x, 0) / Math.max(1, samples.length)),
      hwmMiB: round(this.#hwm),
      samples: samples.length,
      trendMiB: trend,
    };
  }

  /** Closes stdin, the child's cue to finish. */
  endInput(): void {
    this.#child.stdin!.end();
  }

  /** Kills the process if it still runs. */
  kill(): void {
    if (this.#exit === undefined && this.#child.exitCode === null) this.#child.kill("SIGKILL");
  }

  #line(text: string): void {
    let event: Event;
    try {
      event = JSON.parse(text);
    } catch {
      process.stderr.write(`[${this.label}] ${text}\n`);
      return;
    }
    if (typeof event?.type !== "string") return;
    // A child reports its own peak when it ends, after the last sample this side could take.
    if (typeof event.vmHwmKiB === "number") this.#hwm = Math.max(this.#hwm, event.vmHwmKiB / 1024);
    this.#events.push(event);
    this.#notify(event);
  }

  #notify(event: Event): void {
    for (const listener of [...this.#listeners]) listener(event);
  }
}

/** What a case reports besides its timing and memory. */
export interface CaseOutcome {
  /** The case completed correctly (not whether its target was met). */
  readonly ok: boolean;
  /** Seconds of the measured window. */
  readonly seconds: number;
  readonly details: Record<string, unknown>;
  readonly problem?: string;
}

/**
 * Runs one orchestrated case: samples the memory of every child every `sampleMs`, gives
 * up after `timeoutMs`, kills every child at the end whatever happened, and prints the one
 * result line on stdout. The exit code is 0 when the case is ok.
 *
 * @example
 * ```ts
 * await runCase("memory", runtime, 600_000, children, async () => ({ ok: true, seconds, details }));
 * ```
 */
export async function runCase(
  name: string,
  runtime: Runtime,
  timeoutMs: number,
  children: Child[],
  body: () => Promise<CaseOutcome>,
  sampleMs = 200,
): Promise<void> {
  const sampler = setInterval(() => {
    for (const child of children) child.sample();
  }, sampleMs);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<CaseOutcome>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          ok: false,
          seconds: timeoutMs / 1000,
          details: {},
          problem: `timed out after ${timeoutMs / 1000} s`,
        }),
      timeoutMs,
    );
  });
  const killAll = (): void => children.forEach((child) => child.kill());
  process.once("SIGINT", () => {
    killAll();
    process.exit(130);
  });
  let outcome: CaseOutcome;
  try {
    outcome = await Promise.race([body(), timeout]);
  } catch (error) {
    outcome = { ok: false, seconds: 0, details: {}, problem: String(error) };
  } finally {
    clearInterval(sampler);
    clearTimeout(timer);
  }
  // A last look before anything is killed: VmHWM covers the whole life of each process.
  for (const child of children) child.sample();
  const stillRunning = children.filter((child) => child.exit === undefined);
  for (const child of children) child.endInput();
  await Promise.race([
    Promise.all(stillRunning.map((child) => child.ended)),
    new Promise((resolve) => setTimeout(resolve, 5_000).unref()),
  ]);
  const hung = children.filter((child) => child.exit === undefined).map((child) => child.label);
  killAll();
  await Promise.all(children.map((child) => child.ended));
  const memory: Record<string, RssSummary> = {};
  const peakRssMiB: Record<string, number> = {};
  for (const child of children) {
    const rss = child.rss();
    memory[child.label] = rss;
    // Children that share a label prefix ("dealers-1", "dealers-2") are also reported apart.
    peakRssMiB[child.label] = Math.max(rss.hwmMiB, rss.maxSampledMiB);
  }
  const exits = Object.fromEntries(children.map((child) => [child.label, child.exit]));
  let problem = outcome.problem;
  if (outcome.ok && hung.length > 0) problem = `did not exit by itself: ${hung.join(", ")}`;
  const result = {
    type: "result",
    case: name,
    runtime,
    ok: outcome.ok && problem === undefined,
    seconds: Math.round(outcome.seconds * 1000) / 1000,
    peakRssMiB,
    details: { ...outcome.details, memory, exits },
    ...(problem === undefined ? {} : { problem }),
  };
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exitCode = result.ok ? 0 : 1;
}
