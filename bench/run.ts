/**
 * The benchmark command (`npm run bench`, i.e. `node bench/run.ts` on Node 24).
 *
 * Dealer → Router throughput over tcp loopback between two processes, for 8 B and 1 KiB
 * messages: monocoque with both ends on Node, on Deno and on Bun, and as the baseline the npm
 * `zeromq` package (libzmq) with both ends on Node. Each case runs several times (interleaved,
 * so a noisy moment does not hit one implementation only); the median is reported. Prints a
 * table and writes `bench/RESULTS.md`.
 *
 * The ends are `bench/dealer_router.ts` (monocoque, any runtime) and
 * `bench/zeromq_dealer_router.mjs` (zeromq); see the first for the protocol. The receiver
 * prints its endpoint, this script hands it to the sender, and both print a JSON result line
 * and exit by themselves. A watchdog kills both ends of a run that takes too long and reports
 * it as failed, with how far the receiver got; the command then exits non-zero.
 *
 * Options: `--runs=N` (default 5), `--impl=zeromq,node,deno,bun`, `--sizes=8,1024`,
 * `--scale=X` (multiplies every message count, e.g. 0.1 for a quick try), `--timeout=SECONDS`
 * per run (default 60), `--no-write` (leave RESULTS.md alone).
 *
 * Binaries come from `<repo>/node_modules/.bin`, never PATH.
 *
 * @module
 */

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "node_modules", ".bin");
const BENCH = join(ROOT, "bench");
const RESULTS_PATH = join(BENCH, "RESULTS.md");
/** How long an end may take to exit after printing its result before it counts as hung. */
const EXIT_GRACE_MS = 5_000;

type ImplId = "zeromq" | "node" | "deno" | "bun";

interface Implementation {
  readonly id: ImplId;
  readonly library: "zeromq" | "monocoque";
  readonly runtime: "node" | "deno" | "bun";
  readonly command: readonly string[];
}

const IMPLEMENTATIONS: readonly Implementation[] = [
  {
    id: "zeromq",
    library: "zeromq",
    runtime: "node",
    command: [join(BIN, "node"), join(BENCH, "zeromq_dealer_router.mjs")],
  },
  {
    id: "node",
    library: "monocoque",
    runtime: "node",
    command: [join(BIN, "node"), join(BENCH, "dealer_router.ts")],
  },
  {
    id: "deno",
    library: "monocoque",
    runtime: "deno",
    command: [join(BIN, "deno"), "run", "-A", join(BENCH, "dealer_router.ts")],
  },
  {
    id: "bun",
    library: "monocoque",
    runtime: "bun",
    command: [join(BIN, "bun"), join(BENCH, "dealer_router.ts")],
  },
];

/**
 * Message counts are per library so that every timed window lasts about 1-5 s on the
 * reference machine: the zeromq package's awaited send loop is several times slower.
 */
interface Case {
  readonly size: number;
  readonly warmup: number;
  readonly counts: { readonly zeromq: number; readonly monocoque: number };
}

const CASES: readonly Case[] = [
  { size: 8, warmup: 100_000, counts: { zeromq: 1_000_000, monocoque: 5_000_000 } },
  { size: 1024, warmup: 50_000, counts: { zeromq: 500_000, monocoque: 2_000_000 } },
];

interface Options {
  runs: number;
  impls: readonly Implementation[];
  cases: readonly Case[];
  scale: number;
  timeoutMs: number;
  write: boolean;
}

interface ReceiverResult {
  seconds: number;
  messagesPerSecond: number;
  megabytesPerSecond: number;
  peakRssKiB: number | null;
}

interface SenderResult {
  sendSeconds: number;
  peakRssKiB: number | null;
}

interface RunRecord {
  readonly impl: Implementation;
  readonly size: number;
  readonly count: number;
  readonly warmup: number;
  readonly index: number;
  receiver?: ReceiverResult;
  sender?: SenderResult;
  readonly problems: string[];
}

type JsonLine = Record<string, unknown> & { type?: string };

function usage(message: string): never {
  console.error(`bench/run.ts: ${message}`);
  console.error(
    "options: --runs=N --impl=zeromq,node,deno,bun --sizes=8,1024 --scale=X --timeout=SECONDS --no-write",
  );
  process.exit(2);
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    runs: 5,
    impls: IMPLEMENTATIONS,
    cases: CASES,
    scale: 1,
    timeoutMs: 60_000,
    write: true,
  };
  for (const arg of argv) {
    const [name, value = ""] = arg.split("=", 2);
    if (name === "--runs") {
      options.runs = Number(value);
      if (!Number.isInteger(options.runs) || options.runs < 1) usage(`bad ${arg}`);
    } else if (name === "--impl") {
      const ids = value.split(",");
      options.impls = IMPLEMENTATIONS.filter((impl) => ids.includes(impl.id));
      if (options.impls.length !== ids.length) usage(`bad ${arg}`);
    } else if (name === "--sizes") {
      const sizes = value.split(",").map(Number);
      options.cases = CASES.filter((c) => sizes.includes(c.size));
      if (options.cases.length !== sizes.length) usage(`bad ${arg} (known: 8, 1024)`);
    } else if (name === "--scale") {
      options.scale = Number(value);
      if (!(options.scale > 0)) usage(`bad ${arg}`);
    } else if (name === "--timeout") {
      options.timeoutMs = Number(value) * 1000;
      if (!(options.timeoutMs > 0)) usage(`bad ${arg}`);
    } else if (name === "--no-write") {
      options.write = false;
    } else {
      usage(`unknown argument ${arg}`);
    }
  }
  return options;
}

/** One benchmark process: its JSON lines by type, its last progress line, its stderr. */
class End {
  readonly label: string;
  readonly child: ChildProcess;
  readonly closed: Promise<void>;
  lastProgress: JsonLine | undefined;
  readonly strayOutput: string[] = [];
  #stderr = "";
  #exit: string | undefined;
  readonly #lines = new Map<string, JsonLine>();
  readonly #waiting = new Map<string, { resolve(line: JsonLine): void; reject(e: Error): void }>();

  constructor(label: string, command: readonly string[], args: readonly string[]) {
    this.label = label;
    this.child = spawn(command[0], [...command.slice(1), ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stderr!.setEncoding("utf8").on("data", (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-4000);
    });
    createInterface({ input: this.child.stdout! }).on("line", (text) => this.#onLine(text));
    this.closed = new Promise((resolve) => {
      this.child.on("error", (error) => {
        this.#exit = `could not start: ${error.message}`;
        this.#failWaiting();
        resolve();
      });
      // "close" comes after stdout has ended, so every line has been seen.
      this.child.on("close", (code, signal) => {
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

  kill(): void {
    if (this.#exit === undefined && this.child.exitCode === null) this.child.kill("SIGKILL");
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

function indent(text: string): string {
  return text.split("\n").map((line) => `    ${line}`).join("\n");
}

function delay(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return { promise, cancel: () => clearTimeout(timer) };
}

async function runOnce(record: RunRecord, timeoutMs: number): Promise<void> {
  const { impl, size, count, warmup } = record;
  const args = [String(size), String(count), String(warmup)];
  const name = `${impl.library}/${impl.runtime}`;
  const ends: End[] = [];
  const watchdog = delay(timeoutMs);
  const timedOut = watchdog.promise.then((): never => {
    throw new Error("watchdog");
  });
  // It may fire while nothing races it any more (during the exit grace period).
  timedOut.catch(() => {});
  try {
    const receiver = new End(`${name} receiver`, impl.command, ["receiver", ...args]);
    ends.push(receiver);
    const ready = await Promise.race([receiver.line("ready"), timedOut]);
    if (ready.runtime !== impl.runtime) {
      throw new Error(`expected a ${impl.runtime} process, the receiver runs ${ready.runtime}`);
    }
    const sender = new End(`${name} sender`, impl.command, [
      "sender",
      ...args,
      String(ready.endpoint),
    ]);
    ends.push(sender);
    const [receiverLine, senderLine] = await Promise.race([
      Promise.all([receiver.line("result"), sender.line("result")]),
      timedOut,
    ]);
    record.receiver = receiverLine as unknown as ReceiverResult;
    record.sender = senderLine as unknown as SenderResult;
    // Both must now exit by themselves: a socket that keeps the event loop alive after close() is a bug.
    const grace = delay(EXIT_GRACE_MS);
    await Promise.race([Promise.all(ends.map((end) => end.closed)), grace.promise]);
    grace.cancel();
    for (const end of ends) {
      if (end.exit === undefined) {
        record.problems.push(`${end.label} did not exit within ${EXIT_GRACE_MS} ms of its result`);
      } else if (end.exit !== "exit code 0") {
        record.problems.push(`${end.label} ended with ${end.exit}:\n${indent(end.stderrTail)}`);
      }
    }
  } catch (error) {
    if (error instanceof Error && error.message === "watchdog") {
      const progress = ends[0]?.lastProgress;
      const got = progress === undefined
        ? "no progress line"
        : `the receiver had ${progress.received} of ${
          warmup + count
        } messages (warm-up included),` +
          ` RSS ${progress.rssKiB} KiB`;
      const tails = ends.map((end) =>
        end.stderrTail === "" ? "" : `\n  ${end.label} stderr:\n${indent(end.stderrTail)}`
      );
      record.problems.push(`timed out after ${timeoutMs / 1000} s: ${got}${tails.join("")}`);
    } else {
      record.problems.push(error instanceof Error ? error.message : String(error));
    }
  } finally {
    watchdog.cancel();
    for (const end of ends) end.kill();
    await Promise.all(ends.map((end) => end.closed));
  }
  for (const end of ends) {
    if (end.strayOutput.length > 0) {
      record.problems.push(
        `${end.label} printed non-JSON output: ${end.strayOutput.slice(0, 3).join(" | ")}`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Environment

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

interface Environment {
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
  readonly libzmq: string;
}

function environment(): Environment {
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
    libzmq: firstLine(join(BIN, "node"), ["-p", 'require("zeromq").version']),
  };
}

// ---------------------------------------------------------------------------------------------
// Report

interface Summary {
  readonly impl: Implementation;
  readonly size: number;
  readonly count: number;
  readonly ok: number;
  readonly runs: number;
  readonly median?: number;
  readonly min?: number;
  readonly max?: number;
  readonly receiverPeakKiB?: number;
  readonly senderPeakKiB?: number;
  ratio?: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function maxOf(values: readonly (number | null | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => typeof v === "number");
  return known.length === 0 ? undefined : Math.max(...known);
}

function summarise(records: readonly RunRecord[], options: Options): Summary[] {
  const summaries: Summary[] = [];
  for (const c of options.cases) {
    let baseline: number | undefined;
    const forCase: Summary[] = [];
    for (const impl of options.impls) {
      const runs = records.filter((r) => r.impl === impl && r.size === c.size);
      const measured = runs.filter((r) => r.receiver !== undefined);
      const rates = measured.map((r) => r.receiver!.messagesPerSecond);
      const summary: Summary = {
        impl,
        size: c.size,
        count: runs[0]?.count ?? 0,
        ok: runs.filter((r) => r.receiver !== undefined && r.problems.length === 0).length,
        runs: runs.length,
        ...(rates.length === 0 ? {} : {
          median: median(rates),
          min: Math.min(...rates),
          max: Math.max(...rates),
        }),
        receiverPeakKiB: maxOf(measured.map((r) => r.receiver!.peakRssKiB)),
        senderPeakKiB: maxOf(measured.map((r) => r.sender?.peakRssKiB)),
      };
      if (impl.id === "zeromq") baseline = summary.median;
      forCase.push(summary);
    }
    for (const s of forCase) {
      if (baseline !== undefined && s.median !== undefined) s.ratio = s.median / baseline;
    }
    summaries.push(...forCase);
  }
  return summaries;
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function sizeLabel(size: number): string {
  return size >= 1024 && size % 1024 === 0 ? `${size / 1024} KiB` : `${size} B`;
}

function implLabel(impl: Implementation, env: Environment): string {
  return impl.library === "zeromq"
    ? `zeromq ${env.zeromq} (libzmq ${env.libzmq}), Node`
    : `monocoque, ${impl.runtime[0].toUpperCase()}${impl.runtime.slice(1)}`;
}

function mib(kib: number | undefined): string {
  return kib === undefined ? "?" : `${(kib / 1024).toFixed(0)} MiB`;
}

function rows(summaries: readonly Summary[], env: Environment): string[][] {
  return summaries.map((s) => [
    sizeLabel(s.size),
    implLabel(s.impl, env),
    integer.format(s.count),
    s.median === undefined ? "FAILED" : integer.format(s.median),
    s.median === undefined ? "-" : `${integer.format(s.min!)}-${integer.format(s.max!)}`,
    s.median === undefined ? "-" : ((s.median * s.size) / 1e6).toFixed(s.size < 100 ? 1 : 0),
    s.ratio === undefined ? "-" : `${s.ratio.toFixed(2)}x`,
    mib(s.receiverPeakKiB),
    mib(s.senderPeakKiB),
    `${s.ok}/${s.runs}`,
  ]);
}

const HEADER = [
  "size",
  "implementation",
  "messages",
  "msg/s (median)",
  "msg/s (min-max)",
  "MB/s",
  "vs zeromq",
  "peak RSS recv",
  "peak RSS send",
  "clean runs",
];
const RIGHT = [false, false, true, true, true, true, true, true, true, true];

function textTable(body: readonly string[][]): string {
  const all = [HEADER, ...body];
  const widths = HEADER.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const format = (row: readonly string[]): string =>
    row.map((cell, i) => (RIGHT[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join("  ");
  return [format(HEADER), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(format)].join(
    "\n",
  );
}

function markdownTable(
  header: readonly string[],
  right: readonly boolean[],
  body: readonly string[][],
): string {
  const line = (row: readonly string[]): string => `| ${row.join(" | ")} |`;
  return [
    line(header),
    line(right.map((r) => (r ? "---:" : "---"))),
    ...body.map(line),
  ].join("\n");
}

function markdown(
  env: Environment,
  options: Options,
  summaries: readonly Summary[],
  records: readonly RunRecord[],
  wallSeconds: number,
): string {
  const command = process.argv.length > 2
    ? `npm run bench -- ${process.argv.slice(2).join(" ")}`
    : "npm run bench";
  const cases = options.cases.map((c) =>
    `${sizeLabel(c.size)}: ${
      integer.format(Math.round(c.counts.zeromq * options.scale))
    } messages` +
    ` timed for zeromq, ${integer.format(Math.round(c.counts.monocoque * options.scale))} for` +
    ` monocoque, after ${integer.format(c.warmup)} warm-up messages`
  );
  const runs = records.map((r) => [
    String(r.index + 1),
    sizeLabel(r.size),
    implLabel(r.impl, env),
    r.receiver === undefined ? "-" : integer.format(r.receiver.messagesPerSecond),
    r.receiver === undefined ? "-" : r.receiver.seconds.toFixed(2),
    r.sender === undefined ? "-" : r.sender.sendSeconds.toFixed(2),
    r.problems.length === 0
      ? "ok"
      : r.problems.join("; ").replaceAll("\n", " ").replaceAll("|", "\\|"),
  ]);
  const problems = records.filter((r) => r.problems.length > 0);
  return `# Dealer → Router throughput

Generated by \`${command}\` (\`node bench/run.ts\`); do not edit by hand.

- Date: ${env.date}
- Duration of the whole command: ${wallSeconds.toFixed(0)} s
- Machine: ${env.cpu} (model name in /proc/cpuinfo), ${env.cores} logical cores, ${env.ramGiB} GiB RAM, ${env.kernel}
- Load average when the command started (1/5/15 min): ${env.load}; other processes share
  these cores, so compare numbers from one run rather than across runs
- Library sources: ${env.source}
- Runtimes: Node ${env.node}, Deno ${env.deno}, Bun ${env.bun}
- Baseline: npm \`zeromq\` ${env.zeromq} (libzmq ${env.libzmq}, Node-API), on Node ${env.node}

## Results

${options.runs} runs per case, interleaved; msg/s is the median of the runs, MB/s is that median
times the payload size (10^6 bytes, payload only, ZMTP framing not counted), "vs zeromq" is the
median msg/s over the zeromq package's median msg/s for the same size. Peak RSS is the highest
VmHWM (from /proc/self/status at the end of a run) over the runs, per process.

${markdownTable(HEADER, RIGHT, rows(summaries, env))}

${
    problems.length === 0
      ? "Every run completed cleanly: all messages arrived, both processes exited by themselves with code 0."
      : `**${problems.length} run(s) had problems**, see the last column of the table below.`
  }

## Method

- Two processes per run, both on the same runtime, over tcp loopback: the receiver binds a
  Router to \`tcp://127.0.0.1:0\` and receives with \`for await (const [id, payload] of router)\`;
  the sender connects a Dealer and sends with \`for (...) await dealer.send(payload)\`, one
  payload buffer reused. Default socket options on both sides (high-water marks of 1000).
  zeromq v6 rejects a second send in flight (EBUSY), so the awaited loop is its fastest
  idiomatic use too. The baseline is therefore the npm package as JavaScript uses it, where
  every awaited \`send\` and \`receive\` crosses Node-API: it is not libzmq's own ceiling (its C
  \`local_thr\`/\`remote_thr\` tools are much faster).
- Timing uses a start handshake, on the receiver's clock: the sender first sends the warm-up
  messages (not timed, so the JIT and the heap have settled); when the receiver has all of them
  it starts its clock and answers "go"; the sender then sends the timed messages, and the clock
  stops when the receiver has the last one. It then answers "done" so the sender knows
  everything arrived before it closes its socket. The window therefore includes one "go"
  round trip (well under a millisecond) and excludes connection set-up.
- Every received message is checked (two frames, payload of the expected size) and counted; a
  lost message would stall the receiver and trip the watchdog (${
    options.timeoutMs / 1000
  } s per run).
- Message counts: ${cases.join("; ")}. They differ per library so that every timed window
  lasts roughly 1-5 s (the zeromq package is several times slower per message).
- Processes: \`node_modules/.bin/node\`, \`node_modules/.bin/deno run -A\`,
  \`node_modules/.bin/bun\`; the zeromq ends are \`bench/zeromq_dealer_router.mjs\` on Node.
  libzmq adds an I/O thread to each process, so its ends use more than one core each; this
  machine has ${env.cores}.

## Every run

${
    markdownTable(["#", "size", "implementation", "msg/s", "timed s", "sender loop s", "status"], [
      true,
      false,
      false,
      true,
      true,
      true,
      false,
    ], runs)
  }

"timed s" is the receiver's window; "sender loop s" is how long the sender's timed
\`await send\` loop took, from its receipt of "go" to its last \`send\` resolving. The two stay
close because the high-water marks bound what can be in flight between them.
`;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const started = performance.now();
  const env = environment();
  console.log(
    `Dealer -> Router throughput, ${options.runs} run(s) per case. ${env.cpu}, ${env.cores} cores;` +
      ` node ${env.node}, deno ${env.deno}, bun ${env.bun}, zeromq ${env.zeromq} (libzmq ${env.libzmq})`,
  );
  const records: RunRecord[] = [];
  const total = options.runs * options.cases.length * options.impls.length;
  for (let index = 0; index < options.runs; index++) {
    for (const c of options.cases) {
      for (const impl of options.impls) {
        const count = Math.max(1, Math.round(c.counts[impl.library] * options.scale));
        const warmup = Math.max(1, Math.round(c.warmup * Math.min(1, options.scale)));
        const record: RunRecord = { impl, size: c.size, count, warmup, index, problems: [] };
        records.push(record);
        await runOnce(record, options.timeoutMs);
        const head = `[${records.length}/${total}] ${sizeLabel(c.size).padEnd(6)} ${
          implLabel(impl, env).padEnd(38)
        }`;
        if (record.receiver !== undefined) {
          console.log(
            `${head} ${integer.format(record.receiver.messagesPerSecond).padStart(10)} msg/s` +
              ` (${integer.format(count)} in ${record.receiver.seconds.toFixed(2)} s)`,
          );
        }
        for (const problem of record.problems) console.log(`${head} PROBLEM: ${problem}`);
      }
    }
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const summaries = summarise(records, options);
  console.log(`\n${textTable(rows(summaries, env))}\n`);
  console.log(`${records.length} runs in ${wallSeconds.toFixed(0)} s.`);
  if (options.write) {
    writeFileSync(RESULTS_PATH, markdown(env, options, summaries, records, wallSeconds));
    // Laid out as `deno fmt` wants it (aligned tables), so `deno fmt --check` stays clean.
    try {
      execFileSync(join(BIN, "deno"), ["fmt", "--quiet", RESULTS_PATH], {
        cwd: ROOT,
        stdio: "ignore",
      });
    } catch {
      console.log(`deno fmt failed on ${RESULTS_PATH}; it is written unformatted`);
    }
    console.log(`Wrote ${RESULTS_PATH}`);
  }
  const failed = records.filter((r) => r.problems.length > 0).length;
  if (failed > 0) console.log(`${failed} run(s) had problems (see above).`);
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main();
