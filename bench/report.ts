/**
 * The report of a command: tables for the terminal, and `bench/RESULTS.md`.
 *
 * @module
 */

import { type Case, caseLabel, type GroupId, GROUPS } from "./cases.ts";
import type { Environment } from "./environment.ts";
import { implementationLabel, runtimeTitle, type Versions } from "./implementations.ts";
import { measurement, type RunRecord } from "./run_once.ts";
import type { StandaloneResult } from "./standalone.ts";
import type { Summaries, Summary } from "./summary.ts";
import type { TargetRow } from "./targets.ts";

/** A table: a title, a header, which columns align right, and rows of cells. */
export interface Table {
  readonly title: string;
  readonly header: readonly string[];
  readonly right: readonly boolean[];
  readonly body: readonly string[][];
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function times(value: number | undefined): string {
  return value === undefined ? "-" : `${value.toFixed(2)}x`;
}

function mib(kib: number | undefined): string {
  return kib === undefined ? "?" : `${(kib / 1024).toFixed(0)} MiB`;
}

function micros(value: number | undefined): string {
  return value === undefined ? "-" : value.toFixed(value < 100 ? 1 : 0);
}

interface Column {
  readonly title: string;
  readonly right: boolean;
  cell(s: Summary, versions: Versions): string;
}

const FIRST: readonly Column[] = [
  { title: "case", right: false, cell: (s) => caseLabel(s.case) },
  { title: "implementation", right: false, cell: (s, v) => implementationLabel(s.impl, v) },
];

const LAST: readonly Column[] = [
  { title: "peak RSS bind", right: true, cell: (s) => mib(s.bindPeakKiB) },
  { title: "peak RSS connect", right: true, cell: (s) => mib(s.connectPeakKiB) },
  { title: "clean runs", right: true, cell: (s) => `${s.ok}/${s.runs}` },
];

const RATIOS: readonly Column[] = [
  { title: "vs zeromq", right: true, cell: (s) => times(s.vsZeromq) },
  { title: "vs native", right: true, cell: (s) => times(s.vsNative) },
  { title: "vs floor", right: true, cell: (s) => times(s.vsFloor) },
];

const THROUGHPUT: readonly Column[] = [
  { title: "messages", right: true, cell: (s) => integer.format(s.count) },
  {
    title: "msg/s (median)",
    right: true,
    cell: (s) => s.rate === undefined ? "FAILED" : integer.format(s.rate.median),
  },
  {
    title: "msg/s (min-max)",
    right: true,
    cell: (s) =>
      s.rate === undefined ? "-" : `${integer.format(s.rate.min)}-${integer.format(s.rate.max)}`,
  },
  {
    title: "MB/s",
    right: true,
    cell: (s) =>
      s.megabytesPerSecond === undefined
        ? "-"
        : s.megabytesPerSecond.toFixed(s.megabytesPerSecond < 100 ? 1 : 0),
  },
];

const DELIVERED: Column = {
  title: "delivered",
  right: true,
  cell: (s) => s.delivered === undefined ? "-" : `${(s.delivered * 100).toFixed(1)}%`,
};

const LATENCY: readonly Column[] = [
  { title: "round trips", right: true, cell: (s) => integer.format(s.count) },
  {
    title: "mean µs",
    right: true,
    cell: (s) => s.latency === undefined ? "FAILED" : micros(s.latency.mean),
  },
  { title: "p50 µs", right: true, cell: (s) => micros(s.latency?.p50) },
  { title: "p99 µs", right: true, cell: (s) => micros(s.latency?.p99) },
];

function columnsOf(c: Case): Column[] {
  switch (c.kind) {
    case "latency":
      return [...FIRST, ...LATENCY, ...RATIOS, ...LAST];
    case "fan-out":
      return [...FIRST, ...THROUGHPUT, DELIVERED, ...RATIOS.slice(0, 2), ...LAST];
    case "inproc":
      return [...FIRST, ...THROUGHPUT, ...RATIOS.slice(0, 2), LAST[0], LAST[2]];
    default:
      return [
        ...FIRST,
        ...THROUGHPUT,
        ...(c.group === "push-pull" ? RATIOS : RATIOS.slice(0, 2)),
        ...LAST,
      ];
  }
}

/**
 * One table per group that ran.
 *
 * @example
 * ```ts
 * for (const table of resultTables(summaries, versions)) console.log(textTable(table));
 * ```
 */
export function resultTables(summaries: Summaries, versions: Versions): Table[] {
  return (Object.keys(GROUPS) as GroupId[]).flatMap((group) => {
    const rows = summaries.all.filter((s) => s.case.group === group);
    if (rows.length === 0) return [];
    const columns = columnsOf(rows[0].case);
    return [{
      title: GROUPS[group],
      header: columns.map((column) => column.title),
      right: columns.map((column) => column.right),
      body: rows.map((s) => columns.map((column) => column.cell(s, versions))),
    }];
  });
}

/**
 * The targets table.
 *
 * @example
 * ```ts
 * console.log(textTable(targetTable(rows)));
 * ```
 */
export function targetTable(rows: readonly TargetRow[]): Table {
  return {
    title: "Targets",
    header: ["target", "measured", "met", "why not"],
    right: [false, true, false, false],
    body: rows.map((t) => [
      t.target,
      t.measured,
      t.met === undefined ? "-" : t.met ? "met" : "**not met**",
      t.why,
    ]),
  };
}

/**
 * The memory and scale table.
 *
 * @example
 * ```ts
 * console.log(textTable(standaloneTable(results)));
 * ```
 */
export function standaloneTable(results: readonly StandaloneResult[]): Table {
  return {
    title: "Memory and scale",
    header: ["case", "runtime", "size", "ok", "seconds", "peak RSS (MiB)", "details"],
    right: [false, false, true, false, true, false, false],
    body: results.map((r) => [
      r.standalone.id,
      runtimeTitle(r.runtime),
      integer.format(r.size),
      r.ok ? "ok" : "FAILED",
      r.seconds === undefined ? "-" : r.seconds.toFixed(1),
      Object.entries(r.peakRssMiB).map(([label, value]) => `${label} ${value.toFixed(0)}`)
        .join(", ") || "-",
      cellText([detailsText(r.details), r.problem ?? ""].filter((t) => t !== "").join("; ")),
    ]),
  };
}

/** The scalar fields of a script's details (the nested ones are in its own output). */
function detailsText(details: unknown): string {
  if (typeof details !== "object" || details === null) return "";
  return Object.entries(details).filter(([, value]) =>
    typeof value === "number" || typeof value === "string" || typeof value === "boolean"
  ).map(([key, value]) => `${key} ${typeof value === "number" ? integer.format(value) : value}`)
    .join(", ");
}

function cellText(text: string): string {
  return text.replaceAll("\n", " ").replaceAll("|", "\\|");
}

/**
 * Lays a table out for a terminal.
 *
 * @example
 * ```ts
 * console.log(textTable({ title: "t", header: ["a"], right: [false], body: [["1"]] }));
 * ```
 */
export function textTable({ title, header, right, body }: Table): string {
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const format = (row: readonly string[]): string =>
    row.map((cell, i) => (right[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join("  ");
  return [title, format(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(format)]
    .join("\n");
}

function markdownTable({ header, right, body }: Table): string {
  const line = (row: readonly string[]): string => `| ${row.join(" | ")} |`;
  return [line(header), line(right.map((r) => (r ? "---:" : "---"))), ...body.map(line)].join(
    "\n",
  );
}

/**
 * A one-line account of one run, for the terminal and the list of every run.
 *
 * @example
 * ```ts
 * runFigure(record); // "3,512,004 msg/s"
 * ```
 */
export function runFigure(record: RunRecord): string {
  const line = measurement(record);
  if (line === undefined) return "-";
  if (typeof line.meanUs === "number") {
    return `mean ${micros(line.meanUs)} µs, p50 ${micros(line.p50Us as number)}, p99 ${
      micros(line.p99Us as number)
    }`;
  }
  return `${integer.format(line.messagesPerSecond as number)} msg/s`;
}

/** Everything the Markdown report shows. */
export interface ReportInput {
  readonly command: string;
  readonly env: Environment;
  readonly versions: Versions;
  readonly nativeProblem: string | undefined;
  readonly runsText: string;
  readonly summaries: Summaries;
  readonly targets: readonly TargetRow[];
  readonly standalones: readonly StandaloneResult[];
  readonly records: readonly RunRecord[];
  readonly wallSeconds: number;
  readonly timeoutSeconds: number;
}

/**
 * The text of `bench/RESULTS.md`.
 *
 * @example
 * ```ts
 * writeFileSync("bench/RESULTS.md", markdown(input));
 * ```
 */
export function markdown(input: ReportInput): string {
  const { env, versions, records } = input;
  const problems = records.filter((r) => r.problems.length > 0);
  const failedStandalones = input.standalones.filter((s) => !s.ok);
  const sections = resultTables(input.summaries, versions).map((table) =>
    `### ${table.title}\n\n${markdownTable(table)}`
  );
  const met = input.targets.filter((t) => t.met === true).length;
  const measured = input.targets.filter((t) => t.met !== undefined).length;
  const runs = records.map((r) => [
    String(r.round + 1),
    `${GROUPS[r.case.group]}, ${caseLabel(r.case)}`,
    implementationLabel(r.impl, versions),
    integer.format(r.count),
    runFigure(r),
    r.problems.length === 0 ? "ok" : cellText(r.problems.join("; ")),
  ]);
  return `# Benchmarks

Generated by \`${input.command}\` (\`node bench/run.ts\`); do not edit by hand.

- Date: ${env.date}
- Duration of the whole command: ${input.wallSeconds.toFixed(0)} s
- Machine: ${env.cpu} (model name in /proc/cpuinfo), ${env.cores} logical cores, ${env.ramGiB} GiB RAM, ${env.kernel}
- Load average when the command started (1/5/15 min): ${env.load}; other processes share
  these cores, so compare numbers from one run rather than across runs
- Library sources: ${env.source}
- Runtimes: Node ${env.node}, Deno ${env.deno}, Bun ${env.bun}
- Baselines: npm \`zeromq\` ${env.zeromq} (libzmq ${env.zeromqLibzmq}, Node-API) on Node;
  ${
    input.nativeProblem === undefined
      ? `native libzmq ${versions.nativeLibzmq} (the system's, \`bench/native/zmq_end.c\` built with \`cc -O2\`, ${env.cc})`
      : `native libzmq **not measured**: ${input.nativeProblem}`
  }; raw runtime floors (\`bench/floor_end.ts\`)

## Targets

${met} of ${measured} measured targets met. Ratios are between numbers of this one command.

${markdownTable(targetTable(input.targets))}

## Results

${input.runsText}, interleaved; every figure is the median of the runs. msg/s counts
messages; MB/s is 10^6 bytes of payload a second (framing and CURVE overhead not counted).
"vs zeromq", "vs native" and "vs floor" are ratios to the zeromq package's, native libzmq's
and the same runtime's raw floor's median for the same case: msg/s over msg/s for throughput
(above 1 is faster), mean round trip over mean round trip for latency (below 1 is faster).
Peak RSS is the highest VmHWM (/proc/self/status at the end of a run) over the runs, per
process: "bind" is the process that binds (the receiver, the echoing server, the publisher),
"connect" the other.

${sections.join("\n\n")}

${
    input.standalones.length === 0
      ? ""
      : `### Memory and scale\n\nRun once per runtime by their own scripts (\`bench/memory.ts\`, \`bench/scale.ts\`; see their comments for the method); peak RSS per process.\n\n${
        markdownTable(standaloneTable(input.standalones))
      }\n`
  }
${
    problems.length === 0 && failedStandalones.length === 0
      ? "Every run completed cleanly: every message arrived, every process exited by itself with code 0."
      : `**${problems.length} run(s) and ${failedStandalones.length} memory/scale case(s) had problems**; see the status column below and the table above.`
  }

## Method

- Two processes per case, on the same runtime, over tcp loopback: the binding one binds to
  \`tcp://127.0.0.1:0\` and prints its endpoints, the other connects (inproc: one process).
  monocoque and the zeromq package run the same code (\`bench/end.ts\`, \`bench/ends/\`):
  default options (high-water marks of 1000), one payload buffer reused,
  \`for (...) await socket.send(payload)\` and \`for await (const message of socket)\`.
  zeromq v6 rejects a second send in flight (EBUSY), so the awaited loop is its fastest
  idiomatic use too: every awaited call crosses Node-API.
- Throughput (Push → Pull, Dealer → Router): the sender sends warm-up messages (not timed);
  when the receiver has them all it starts its clock and answers "go" on a way back; the
  sender sends the timed messages and the clock stops at the last one. Every message is
  checked (frames and size). CURVE: one server and one client key pair per command, made by
  monocoque's \`curveKeyPair()\`, the receiver being the server; the handshake is over before
  the clock starts.
- Latency (Request/Reply, Dealer/Router): one client, one request outstanding; warm-up round
  trips, then each timed round trip measured with \`performance.now()\` (\`clock_gettime\`
  in C) from before the send to after the receive. Mean, median and 99th percentile
  (nearest rank).
- Fan-out: one Publisher in one process; 1, 10 or 100 Subscribers (each its own connection,
  subscribed to everything) in the other. The publisher sends warm-up messages until the
  subscribers' process answers that every subscriber has had one (so every subscription has
  arrived), then the timed messages, then end marks until every subscriber has had one. The
  figure is the timed messages received, summed over the subscribers, over the time from the
  first of them to the last subscriber's first end mark, which follows its last timed message
  by at most a millisecond (a clock read per message would cost the subscribers more);
  "delivered" is that sum over published × subscribers (a Publisher drops for a subscriber at
  its high-water mark, as libzmq's does).
- inproc: a Push and a Pull in one process, a sender loop and a receiver loop side by side;
  the clock runs from the last warm-up message received to the last message.
- Native libzmq: the same protocol from C (\`bench/native/zmq_end.c\`): blocking
  \`zmq_send\`/\`zmq_msg_recv\` loops, Subscribers polled with \`zmq_poll\`, inproc over two
  threads. It is libzmq's own ceiling, without a JavaScript binding.
- Raw floors (\`bench/floor_end.ts\`): each runtime's tcp API as monocoque's adapter for it
  uses it (\`node:net\`; \`Deno.listen\`/\`Deno.connect\`; \`Bun.listen\`/\`Bun.connect\`), no
  ZMTP. Throughput floor: ZMTP-style frames (flags, size, payload) copied into writes of up to
  64 KiB, one write per turn of the event loop, waiting for drain when asked (payloads over
  8 KiB written uncopied after their header); the receiver parses and counts them. Latency
  floor: length-prefixed messages echoed whole, one outstanding, timed as above.
- Runs are interleaved in rounds: each round runs every case on every implementation in turn.
  A watchdog ends a run after ${input.timeoutSeconds} s and records how far it got.

## Every run

${
    markdownTable({
      title: "",
      header: ["round", "case", "implementation", "messages", "result", "status"],
      right: [true, false, false, true, true, false],
      body: runs,
    })
  }
`;
}
