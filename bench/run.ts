/**
 * The benchmark command (`npm run bench`, i.e. `node bench/run.ts` on Node 24).
 *
 * Throughput over tcp loopback between two processes, in two cases: Dealer → Router with 8 B
 * and 1 KiB messages, and Push → Pull with 64 B and 1 KiB messages, once with the NULL
 * mechanism and once with CURVE. Each is measured for monocoque with both ends on Node, on Deno
 * and on Bun, and as the baseline for the npm `zeromq` package (libzmq) with both ends on Node.
 * Each case runs several times (interleaved, so a noisy moment does not hit one implementation
 * only); the median is reported, beside its ratio to the zeromq package's and, for CURVE, to
 * the same implementation's NULL. Prints the tables and writes `bench/RESULTS.md`.
 *
 * The ends are `bench/monocoque_end.ts` (monocoque, any runtime) and `bench/zeromq_end.ts`
 * (zeromq, Node); both run `bench/end.ts`, which describes the protocol. The receiver prints
 * its endpoints, this script hands them to the sender, and both print a JSON result line and
 * exit by themselves. The CURVE keys (one pair for the server, the receiver; one for the
 * client, the sender) are made once per command with monocoque's `curveKeyPair()` and given to
 * both implementations' ends in their environment. A watchdog kills both ends of a run that
 * takes too long and reports it as failed, with how far the receiver got; the command then
 * exits non-zero.
 *
 * Options: `--runs=N` (every case N times; default 5, and 3 for the CURVE cases),
 * `--impl=zeromq,node,deno,bun`, `--patterns=dealer-router,push-pull`,
 * `--mechanisms=null,curve`, `--sizes=8,64,1024` (each keeps the cases that match),
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
import { curveKeyPair } from "../mod.ts";

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

const MONOCOQUE_END = join(BENCH, "monocoque_end.ts");

const IMPLEMENTATIONS: readonly Implementation[] = [
  {
    id: "zeromq",
    library: "zeromq",
    runtime: "node",
    command: [join(BIN, "node"), join(BENCH, "zeromq_end.ts")],
  },
  {
    id: "node",
    library: "monocoque",
    runtime: "node",
    command: [join(BIN, "node"), MONOCOQUE_END],
  },
  {
    id: "deno",
    library: "monocoque",
    runtime: "deno",
    command: [join(BIN, "deno"), "run", "-A", MONOCOQUE_END],
  },
  { id: "bun", library: "monocoque", runtime: "bun", command: [join(BIN, "bun"), MONOCOQUE_END] },
];

type PatternId = "dealer-router" | "push-pull";
type Mechanism = "null" | "curve";

const MECHANISMS: readonly Mechanism[] = ["null", "curve"];

const PATTERN_TITLES: Record<PatternId, string> = {
  "dealer-router": "Dealer → Router",
  "push-pull": "Push → Pull",
};

/**
 * Message counts are per library so that every timed window lasts about 1-5 s on the
 * reference machine: the zeromq package's awaited send loop is several times slower, except
 * with CURVE, where both spend most of their time in the crypto.
 */
interface Case {
  readonly pattern: PatternId;
  readonly mechanism: Mechanism;
  readonly size: number;
  readonly warmup: number;
  readonly counts: { readonly zeromq: number; readonly monocoque: number };
  /** Runs per case unless `--runs` says otherwise. */
  readonly runs: number;
}

/** The cases of one pattern and mechanism, from [size, warm-up, zeromq count, monocoque count]. */
function cases(
  pattern: PatternId,
  mechanism: Mechanism,
  runs: number,
  sizes: readonly (readonly [number, number, number, number])[],
): Case[] {
  return sizes.map(([size, warmup, zeromq, monocoque]) => ({
    pattern,
    mechanism,
    size,
    warmup,
    counts: { zeromq, monocoque },
    runs,
  }));
}

const CASES: readonly Case[] = [
  ...cases("dealer-router", "null", 5, [
    [8, 100_000, 1_000_000, 5_000_000],
    [1024, 50_000, 500_000, 2_000_000],
  ]),
  ...cases("push-pull", "null", 5, [
    [64, 100_000, 1_000_000, 5_000_000],
    [1024, 50_000, 500_000, 2_000_000],
  ]),
  // Fewer runs, to keep the whole command within about five minutes.
  ...cases("push-pull", "curve", 3, [
    [64, 50_000, 800_000, 800_000],
    [1024, 30_000, 300_000, 300_000],
  ]),
];

interface Options {
  /** Every case this many times, instead of its own number. */
  runs: number | undefined;
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
  readonly case: Case;
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
    "options: --runs=N --impl=zeromq,node,deno,bun --patterns=dealer-router,push-pull" +
      " --mechanisms=null,curve --sizes=8,64,1024 --scale=X --timeout=SECONDS --no-write",
  );
  process.exit(2);
}

/** The known values named in a comma-separated option value; exits on an unknown one. */
function listOption<T>(arg: string, value: string, known: readonly T[]): T[] {
  const names = value.split(",");
  const unknown = names.filter((name) => !known.map(String).includes(name));
  if (unknown.length > 0) usage(`bad ${arg} (known: ${known.join(", ")})`);
  return known.filter((item) => names.includes(String(item)));
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    runs: undefined,
    impls: IMPLEMENTATIONS,
    cases: CASES,
    scale: 1,
    timeoutMs: 60_000,
    write: true,
  };
  const keep = <K extends "pattern" | "mechanism" | "size">(arg: string, value: string, key: K) => {
    const wanted = listOption(arg, value, [...new Set(CASES.map((c) => c[key]))]);
    options.cases = options.cases.filter((c) => wanted.includes(c[key]));
  };
  for (const arg of argv) {
    const [name, value = ""] = arg.split("=", 2);
    if (name === "--runs") {
      options.runs = Number(value);
      if (!Number.isInteger(options.runs) || options.runs < 1) usage(`bad ${arg}`);
    } else if (name === "--impl") {
      const ids = listOption(arg, value, IMPLEMENTATIONS.map((impl) => impl.id));
      options.impls = IMPLEMENTATIONS.filter((impl) => ids.includes(impl.id));
    } else if (name === "--patterns") {
      keep(arg, value, "pattern");
    } else if (name === "--mechanisms") {
      keep(arg, value, "mechanism");
    } else if (name === "--sizes") {
      keep(arg, value, "size");
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
  if (options.cases.length === 0) usage("no case matches these options");
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

  constructor(
    label: string,
    command: readonly string[],
    args: readonly string[],
    env: Readonly<Record<string, string>>,
  ) {
    this.label = label;
    this.child = spawn(command[0], [...command.slice(1), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env, NO_COLOR: "1" },
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

interface KeyPair {
  readonly publicKey: string;
  readonly secretKey: string;
}

/** The CURVE keys of one command: the receiver is the server, the sender its client. */
interface CurveKeys {
  readonly server: KeyPair;
  readonly client: KeyPair;
}

/** What each end finds in its environment (see `bench/end.ts`). */
function curveEnvironment(
  mechanism: Mechanism,
  keys: CurveKeys,
): { receiver: Record<string, string>; sender: Record<string, string> } {
  if (mechanism !== "curve") return { receiver: {}, sender: {} };
  return {
    receiver: { BENCH_CURVE_SERVER_SECRET_KEY: keys.server.secretKey },
    sender: {
      BENCH_CURVE_SERVER_KEY: keys.server.publicKey,
      BENCH_CURVE_PUBLIC_KEY: keys.client.publicKey,
      BENCH_CURVE_SECRET_KEY: keys.client.secretKey,
    },
  };
}

async function runOnce(record: RunRecord, timeoutMs: number, keys: CurveKeys): Promise<void> {
  const { impl, count, warmup } = record;
  const { pattern, mechanism, size } = record.case;
  const args = (role: string) => [
    pattern,
    mechanism,
    role,
    String(size),
    String(count),
    String(warmup),
  ];
  const env = curveEnvironment(mechanism, keys);
  const name = `${impl.library}/${impl.runtime}`;
  const ends: End[] = [];
  const watchdog = delay(timeoutMs);
  const timedOut = watchdog.promise.then((): never => {
    throw new Error("watchdog");
  });
  // It may fire while nothing races it any more (during the exit grace period).
  timedOut.catch(() => {});
  try {
    const receiver = new End(`${name} receiver`, impl.command, args("receiver"), env.receiver);
    ends.push(receiver);
    const ready = await Promise.race([receiver.line("ready"), timedOut]);
    if (ready.runtime !== impl.runtime) {
      throw new Error(`expected a ${impl.runtime} process, the receiver runs ${ready.runtime}`);
    }
    const endpoints = ready.endpoints;
    if (!Array.isArray(endpoints) || endpoints.length === 0) {
      throw new Error(`the receiver's "ready" line has no endpoints: ${JSON.stringify(ready)}`);
    }
    const sender = new End(
      `${name} sender`,
      impl.command,
      [...args("sender"), ...endpoints.map(String)],
      env.sender,
    );
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
  readonly case: Case;
  readonly count: number;
  readonly ok: number;
  readonly runs: number;
  readonly median?: number;
  readonly min?: number;
  readonly max?: number;
  readonly receiverPeakKiB?: number;
  readonly senderPeakKiB?: number;
  /** The median over the zeromq package's for the same case. */
  vsZeromq?: number;
  /** For CURVE: the median over the same implementation's for NULL, same pattern and size. */
  vsNull?: number;
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

function summary(impl: Implementation, c: Case, runs: readonly RunRecord[]): Summary {
  const measured = runs.filter((r) => r.receiver !== undefined);
  const rates = measured.map((r) => r.receiver!.messagesPerSecond);
  return {
    impl,
    case: c,
    count: runs[0]?.count ?? 0,
    ok: measured.filter((r) => r.problems.length === 0).length,
    runs: runs.length,
    ...(rates.length === 0 ? {} : {
      median: median(rates),
      min: Math.min(...rates),
      max: Math.max(...rates),
    }),
    receiverPeakKiB: maxOf(measured.map((r) => r.receiver!.peakRssKiB)),
    senderPeakKiB: maxOf(measured.map((r) => r.sender?.peakRssKiB)),
  };
}

function ratio(value: number | undefined, base: number | undefined): number | undefined {
  return value === undefined || base === undefined ? undefined : value / base;
}

/** One summary per case and implementation, in the order of the report's tables. */
function summarise(records: readonly RunRecord[], options: Options): Summary[] {
  const summaries = options.cases.flatMap((c) =>
    options.impls.map((impl) =>
      summary(impl, c, records.filter((r) => r.impl === impl && r.case === c))
    )
  );
  const find = (impl: ImplId, c: Case, mechanism: Mechanism) =>
    summaries.find((s) =>
      s.impl.id === impl && s.case.pattern === c.pattern && s.case.size === c.size &&
      s.case.mechanism === mechanism
    );
  for (const s of summaries) {
    s.vsZeromq = ratio(s.median, find("zeromq", s.case, s.case.mechanism)?.median);
    if (s.case.mechanism !== "null") {
      s.vsNull = ratio(s.median, find(s.impl.id, s.case, "null")?.median);
    }
  }
  const order = (s: Summary): number[] => [
    Object.keys(PATTERN_TITLES).indexOf(s.case.pattern),
    s.case.size,
    MECHANISMS.indexOf(s.case.mechanism),
    IMPLEMENTATIONS.indexOf(s.impl),
  ];
  return summaries.sort((x, y) => {
    const [a, b] = [order(x), order(y)];
    const i = a.findIndex((v, k) => v !== b[k]);
    return i === -1 ? 0 : a[i] - b[i];
  });
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function sizeLabel(size: number): string {
  return size >= 1024 && size % 1024 === 0 ? `${size / 1024} KiB` : `${size} B`;
}

/** "Dealer → Router NULL", "Push → Pull CURVE", ... */
function caseLabel(c: Case): string {
  return `${PATTERN_TITLES[c.pattern]} ${c.mechanism.toUpperCase()}`;
}

function implLabel(impl: Implementation, env: Environment): string {
  return impl.library === "zeromq"
    ? `zeromq ${env.zeromq} (libzmq ${env.libzmq}), Node`
    : `monocoque, ${impl.runtime[0].toUpperCase()}${impl.runtime.slice(1)}`;
}

function mib(kib: number | undefined): string {
  return kib === undefined ? "?" : `${(kib / 1024).toFixed(0)} MiB`;
}

function times(value: number | undefined): string {
  return value === undefined ? "-" : `${value.toFixed(2)}x`;
}

interface Column {
  readonly title: string;
  readonly right: boolean;
  /** Shown only in a table with more than one mechanism. */
  readonly mechanisms?: true;
  cell(s: Summary, env: Environment): string;
}

const COLUMNS: readonly Column[] = [
  { title: "size", right: false, cell: (s) => sizeLabel(s.case.size) },
  {
    title: "mechanism",
    right: false,
    mechanisms: true,
    cell: (s) => s.case.mechanism.toUpperCase(),
  },
  { title: "implementation", right: false, cell: (s, env) => implLabel(s.impl, env) },
  { title: "messages", right: true, cell: (s) => integer.format(s.count) },
  {
    title: "msg/s (median)",
    right: true,
    cell: (s) => s.median === undefined ? "FAILED" : integer.format(s.median),
  },
  {
    title: "msg/s (min-max)",
    right: true,
    cell: (s) =>
      s.median === undefined ? "-" : `${integer.format(s.min!)}-${integer.format(s.max!)}`,
  },
  {
    title: "MB/s",
    right: true,
    cell: (s) =>
      s.median === undefined
        ? "-"
        : ((s.median * s.case.size) / 1e6).toFixed(s.case.size < 100 ? 1 : 0),
  },
  { title: "vs zeromq", right: true, cell: (s) => times(s.vsZeromq) },
  { title: "vs NULL", right: true, mechanisms: true, cell: (s) => times(s.vsNull) },
  { title: "peak RSS recv", right: true, cell: (s) => mib(s.receiverPeakKiB) },
  { title: "peak RSS send", right: true, cell: (s) => mib(s.senderPeakKiB) },
  { title: "clean runs", right: true, cell: (s) => `${s.ok}/${s.runs}` },
];

/** The summary table of one pattern. */
interface Table {
  readonly title: string;
  readonly header: readonly string[];
  readonly right: readonly boolean[];
  readonly body: readonly string[][];
}

function tables(summaries: readonly Summary[], env: Environment): Table[] {
  return (Object.keys(PATTERN_TITLES) as PatternId[]).flatMap((pattern) => {
    const mine = summaries.filter((s) => s.case.pattern === pattern);
    const mechanisms = [...new Set(mine.map((s) => s.case.mechanism))];
    if (mine.length === 0) return [];
    const columns = COLUMNS.filter((column) => mechanisms.length > 1 || !column.mechanisms);
    return [{
      title: `${PATTERN_TITLES[pattern]}, ${mechanisms.map((m) => m.toUpperCase()).join(" and ")}`,
      header: columns.map((column) => column.title),
      right: columns.map((column) => column.right),
      body: mine.map((s) => columns.map((column) => column.cell(s, env))),
    }];
  });
}

function textTable({ title, header, right, body }: Table): string {
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const format = (row: readonly string[]): string =>
    row.map((cell, i) => (right[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join("  ");
  return [title, format(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(format)]
    .join("\n");
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

function runsOf(c: Case, options: Options): number {
  return options.runs ?? c.runs;
}

/** Timed and warm-up messages of one run. */
function countsOf(c: Case, library: Implementation["library"], options: Options) {
  return {
    count: Math.max(1, Math.round(c.counts[library] * options.scale)),
    warmup: Math.max(1, Math.round(c.warmup * Math.min(1, options.scale))),
  };
}

/** "5 runs per case for Dealer → Router NULL and Push → Pull NULL, 3 for Push → Pull CURVE" */
function runsText(options: Options): string {
  const byRuns = new Map<number, Set<string>>();
  for (const c of options.cases) {
    const runs = runsOf(c, options);
    byRuns.set(runs, (byRuns.get(runs) ?? new Set()).add(caseLabel(c)));
  }
  if (byRuns.size === 1) {
    const [runs] = byRuns.keys();
    return `${runs} run${runs === 1 ? "" : "s"} per case`;
  }
  return [...byRuns].sort(([a], [b]) => b - a).map(([runs, labels], i) =>
    `${runs}${i === 0 ? " runs per case" : ""} for ${[...labels].join(" and ")}`
  ).join(", ");
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
  const cases = options.cases.map((c) => {
    const zeromq = countsOf(c, "zeromq", options);
    const monocoque = countsOf(c, "monocoque", options);
    const timed = zeromq.count === monocoque.count
      ? `${integer.format(zeromq.count)} messages timed for both libraries`
      : `${integer.format(zeromq.count)} messages timed for zeromq, ${
        integer.format(monocoque.count)
      } for monocoque`;
    return `${caseLabel(c)}, ${sizeLabel(c.size)}: ${timed}, after ${
      integer.format(zeromq.warmup)
    } warm-up messages`;
  });
  const runs = records.map((r) => [
    String(r.index + 1),
    caseLabel(r.case),
    sizeLabel(r.case.size),
    implLabel(r.impl, env),
    r.receiver === undefined ? "-" : integer.format(r.receiver.messagesPerSecond),
    r.receiver === undefined ? "-" : r.receiver.seconds.toFixed(2),
    r.sender === undefined ? "-" : r.sender.sendSeconds.toFixed(2),
    r.problems.length === 0
      ? "ok"
      : r.problems.join("; ").replaceAll("\n", " ").replaceAll("|", "\\|"),
  ]);
  const problems = records.filter((r) => r.problems.length > 0);
  const sections = tables(summaries, env).map((table) =>
    `### ${table.title}\n\n${markdownTable(table.header, table.right, table.body)}`
  );
  return `# Throughput: Dealer → Router, and Push → Pull with NULL and CURVE

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

${runsText(options)}, interleaved; msg/s is the median of the runs, MB/s is that median
times the payload size (10^6 bytes, payload only, ZMTP framing and CURVE overhead not counted).
"vs zeromq" is the median msg/s over the zeromq package's median msg/s for the same pattern,
mechanism and size; "vs NULL" is a CURVE median over the same implementation's NULL median for
the same pattern and size, so what CURVE costs it. Peak RSS is the highest VmHWM (from
/proc/self/status at the end of a run) over the runs, per process.

${sections.join("\n\n")}

${
    problems.length === 0
      ? "Every run completed cleanly: all messages arrived, both processes exited by themselves with code 0."
      : `**${problems.length} run(s) had problems**, see the last column of the table below.`
  }

## Method

- Two processes per run, both on the same runtime, over tcp loopback; the receiver binds to
  \`tcp://127.0.0.1:0\`, the sender connects. Dealer → Router: the receiver receives with
  \`for await (const [id, payload] of router)\`, the sender sends with
  \`for (...) await dealer.send(payload)\`, and the Router answers on the same connection.
  Push → Pull: the receiver receives with \`for await (const [payload] of pull)\`, the sender
  sends with \`for (...) await push.send(payload)\`; a Pull cannot answer, so the receiver also
  binds a Push, always NULL, to which the sender connects a Pull: it carries the two answers
  below and nothing else. One payload buffer reused; default socket options otherwise
  (high-water marks of 1000). zeromq v6 rejects a second send in flight (EBUSY), so the awaited
  loop is its fastest idiomatic use too. The baseline is therefore the npm package as
  JavaScript uses it, where every awaited \`send\` and \`receive\` crosses Node-API: it is not
  libzmq's own ceiling (its C \`local_thr\`/\`remote_thr\` tools are much faster).
- CURVE: one server key pair and one client key pair per command, made by monocoque's
  \`curveKeyPair()\` and given to both implementations. The receiver's Pull is the server
  (\`curveServer: true\`, \`curveSecretKey\`), the sender's Push its client (\`curveServerKey\`,
  \`curvePublicKey\`, \`curveSecretKey\`); no ZAP handler. The handshake is over before the
  warm-up ends, so only the per-message encryption (one XSalsa20-Poly1305 box per message) is
  timed. monocoque does it with libsodium-wrappers (WebAssembly) on the JavaScript thread;
  libzmq with libsodium (linked into the addon) on its I/O thread.
- Timing uses a start handshake, on the receiver's clock: the sender first sends the warm-up
  messages (not timed, so the JIT and the heap have settled); when the receiver has all of them
  it starts its clock and answers "go"; the sender then sends the timed messages, and the clock
  stops when the receiver has the last one. It then answers "done" so the sender knows
  everything arrived before it closes its socket. The window therefore includes one "go"
  round trip (well under a millisecond) and excludes connection set-up.
- Every received message is checked (the pattern's frames, two from a Router and one from a
  Pull, the last with a payload of the expected size) and counted; a lost message would stall
  the receiver and trip the watchdog (${options.timeoutMs / 1000} s per run).
- Message counts: ${cases.join("; ")}. They are chosen so that every timed window lasts roughly
  1-5 s (the zeromq package is several times slower per message, except with CURVE).
- Runs are interleaved in rounds: each round runs every case on every implementation in turn;
  a case with fewer runs than there are rounds runs in rounds spread over the command.
- Processes: \`node_modules/.bin/node\`, \`node_modules/.bin/deno run -A\`,
  \`node_modules/.bin/bun\` running \`bench/monocoque_end.ts\`; the zeromq ends are
  \`bench/zeromq_end.ts\` on Node. libzmq adds an I/O thread to each process, so its ends use
  more than one core each; this machine has ${env.cores}.

## Every run

${
    markdownTable(
      ["round", "case", "size", "implementation", "msg/s", "timed s", "sender loop s", "status"],
      [true, false, false, false, true, true, true, false],
      runs,
    )
  }

"timed s" is the receiver's window; "sender loop s" is how long the sender's timed
\`await send\` loop took, from its receipt of "go" to its last \`send\` resolving. The two stay
close because the high-water marks bound what can be in flight between them.
`;
}

// ---------------------------------------------------------------------------------------------

/** The rounds (0-based) in which a case with `runs` runs runs, spread over `rounds`. */
function roundsOf(runs: number, rounds: number): Set<number> {
  if (runs === 1) return new Set([0]);
  return new Set(
    Array.from({ length: runs }, (_, i) => Math.round((i * (rounds - 1)) / (runs - 1))),
  );
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const started = performance.now();
  const env = environment();
  console.log(
    `Throughput, ${runsText(options)}. ${env.cpu}, ${env.cores} cores;` +
      ` node ${env.node}, deno ${env.deno}, bun ${env.bun}, zeromq ${env.zeromq} (libzmq ${env.libzmq})`,
  );
  const keys: CurveKeys = { server: await curveKeyPair(), client: await curveKeyPair() };
  const rounds = Math.max(...options.cases.map((c) => runsOf(c, options)));
  const schedule = options.cases.map((c) => ({ c, rounds: roundsOf(runsOf(c, options), rounds) }));
  const records: RunRecord[] = [];
  const total = options.impls.length *
    options.cases.reduce((sum, c) => sum + runsOf(c, options), 0);
  for (let index = 0; index < rounds; index++) {
    for (const { c } of schedule.filter((s) => s.rounds.has(index))) {
      for (const impl of options.impls) {
        const record: RunRecord = {
          impl,
          case: c,
          ...countsOf(c, impl.library, options),
          index,
          problems: [],
        };
        records.push(record);
        await runOnce(record, options.timeoutMs, keys);
        const head = `[${records.length}/${total}] ${caseLabel(c).padEnd(20)} ${
          sizeLabel(c.size).padEnd(6)
        } ${implLabel(impl, env).padEnd(38)}`;
        if (record.receiver !== undefined) {
          console.log(
            `${head} ${integer.format(record.receiver.messagesPerSecond).padStart(10)} msg/s` +
              ` (${integer.format(record.count)} in ${record.receiver.seconds.toFixed(2)} s)`,
          );
        }
        for (const problem of record.problems) console.log(`${head} PROBLEM: ${problem}`);
      }
    }
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const summaries = summarise(records, options);
  for (const table of tables(summaries, env)) console.log(`\n${textTable(table)}`);
  console.log(`\n${records.length} runs in ${wallSeconds.toFixed(0)} s.`);
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
