/**
 * The benchmark command (`npm run bench`, i.e. `node bench/run.ts` on Node 24).
 *
 * Cases (`bench/cases.ts`), each with both ends in two processes over tcp loopback unless
 * said otherwise:
 * - Push → Pull throughput at 8 B, 64 B, 1 KiB, 64 KiB and 1 MiB (NULL), and at 64 B and
 *   1 KiB with CURVE;
 * - Request/Reply and Dealer/Router round-trip latency at 8 B and 1 KiB (mean, p50, p99);
 * - Publisher → 1, 10 and 100 Subscribers (all in the second process), aggregate delivered
 *   msg/s at 64 B;
 * - inproc Push → Pull at 8 B and 1 KiB, in one process;
 * - Dealer → Router throughput at 8 B and 1 KiB, only with `--cases=dealer-router`;
 * - memory (10 million 1 KiB messages into a Pull that stops reading) and scale (one Router,
 *   10,000 Dealers), once per runtime, by their own scripts `bench/memory.ts` and
 *   `bench/scale.ts` (`bench/standalone.ts`).
 *
 * Each is measured for monocoque on Node, Deno and Bun (`bench/monocoque_end.ts`), and beside
 * it, in the same command, for the baselines: the npm `zeromq` package on Node
 * (`bench/zeromq_end.ts`), native libzmq from C (`bench/native/zmq_end.c`, built at start by
 * `bench/native_build.ts`; skipped, with the reason, when it cannot be built), and each
 * runtime's raw floor (`bench/floor_end.ts`: framed writes for Push → Pull, a ping-pong for
 * latency). Every end speaks the protocol of `bench/end_protocol.ts`. Runs are interleaved in
 * rounds, so a noisy moment does not hit one implementation only; each row is the median of
 * its runs, with its ratio to each baseline (`bench/summary.ts`). The targets
 * (`bench/targets.ts`, with `bench/target_notes.ts` for why one is not met) head the report.
 * Prints tables and writes `bench/RESULTS.md` (`bench/report.ts`).
 *
 * A watchdog kills both ends of a run that takes too long and records how far it got; a run
 * or a memory/scale case that fails makes the command exit non-zero, and the report still
 * shows everything that succeeded.
 *
 * Options (`bench/options.ts`): `--cases=LIST` (groups such as `push-pull`, `pub-sub`,
 * `memory`, or case ids such as `push-pull/8`), `--patterns=`, `--sizes=`, `--mechanisms=`,
 * `--impl=zeromq,native,node,deno,bun,raw`, `--runs=N` (default 3), `--scale=X` (multiplies
 * every count; `--scale=0.05 --runs=1` is a quick smoke of everything), `--timeout=SECONDS`
 * per run (default 60), `--standalone-timeout=SECONDS` (default 300), `--no-write`.
 *
 * Binaries come from `<repo>/node_modules/.bin`, never PATH.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { curveKeyPair } from "../mod.ts";
import { type Case, GROUPS } from "./cases.ts";
import { environment } from "./environment.ts";
import {
  BIN,
  type Implementation,
  implementationLabel,
  ROOT,
  runtimeTitle,
  type Versions,
} from "./implementations.ts";
import { buildNative } from "./native_build.ts";
import { type Options, parseOptions } from "./options.ts";
import {
  markdown,
  resultTables,
  runFigure,
  standaloneTable,
  targetTable,
  textTable,
} from "./report.ts";
import { type CurveKeys, runOnce, type RunRecord } from "./run_once.ts";
import { runStandalone, type StandaloneResult, STANDALONES } from "./standalone.ts";
import { summarise } from "./summary.ts";
import { targets } from "./targets.ts";

const RESULTS_PATH = join(ROOT, "bench", "RESULTS.md");

function runsOf(c: Case, options: Options): number {
  return options.runs ?? c.runs;
}

/** Timed and warm-up messages of one run. */
function countsOf(c: Case, impl: Implementation, options: Options) {
  return {
    count: Math.max(1, Math.round(c.counts[impl.family]! * options.scale)),
    warmup: Math.max(1, Math.round(c.warmup * Math.min(1, options.scale))),
  };
}

/** "3 runs per case", or "3 runs per case, 1 for ..." */
function runsText(options: Options): string {
  const byRuns = new Map<number, Set<string>>();
  for (const c of options.cases) {
    const runs = runsOf(c, options);
    byRuns.set(runs, (byRuns.get(runs) ?? new Set()).add(GROUPS[c.group]));
  }
  const sorted = [...byRuns].sort(([a], [b]) => b - a);
  const plural = (n: number) => `${n} run${n === 1 ? "" : "s"}`;
  if (sorted.length === 0) return "No run";
  return [
    `${plural(sorted[0][0])} per case`,
    ...sorted.slice(1).map(([runs, labels]) => `${runs} for ${[...labels].join("; ")}`),
  ].join(", ");
}

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
  let impls = options.impls;
  let nativeProblem: string | undefined;
  let removeNative = () => {};
  let nativeLibzmq = "not built";
  if (!impls.some((impl) => impl.family === "native")) {
    nativeProblem = "not selected (--impl)";
  } else {
    const native = buildNative();
    if (native.ok) {
      for (const impl of impls) if (impl.family === "native") impl.command = [native.path];
      nativeLibzmq = native.libzmq;
      removeNative = native.remove;
    } else {
      nativeProblem = native.reason;
      console.log(`Native libzmq baseline skipped: ${native.reason}`);
      impls = impls.filter((impl) => impl.family !== "native");
    }
  }
  const versions: Versions = {
    zeromq: env.zeromq,
    zeromqLibzmq: env.zeromqLibzmq,
    nativeLibzmq,
  };
  console.log(
    `${runsText(options)}. ${env.cpu}, ${env.cores} cores; node ${env.node}, deno ${env.deno},` +
      ` bun ${env.bun}, zeromq ${env.zeromq} (libzmq ${env.zeromqLibzmq}), native libzmq ${nativeLibzmq}`,
  );
  const keys: CurveKeys = { server: await curveKeyPair(), client: await curveKeyPair() };
  const rounds = Math.max(0, ...options.cases.map((c) => runsOf(c, options)));
  const schedule = options.cases.map((c) => ({ c, rounds: roundsOf(runsOf(c, options), rounds) }));
  const implsOf = (c: Case) => impls.filter((impl) => c.counts[impl.family] !== undefined);
  const total = options.cases.reduce((sum, c) => sum + runsOf(c, options) * implsOf(c).length, 0);
  const records: RunRecord[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const { c } of schedule.filter((s) => s.rounds.has(round))) {
        for (const impl of implsOf(c)) {
          const record: RunRecord = {
            impl,
            case: c,
            ...countsOf(c, impl, options),
            round,
            problems: [],
          };
          records.push(record);
          await runOnce(record, options.timeoutMs, keys);
          const head = `[${records.length}/${total}] ${c.id.padEnd(22)} ${
            implementationLabel(impl, versions).padEnd(36)
          }`;
          if (record.problems.length === 0) console.log(`${head} ${runFigure(record)}`);
          for (const problem of record.problems) console.log(`${head} PROBLEM: ${problem}`);
        }
      }
    }
  } finally {
    removeNative();
  }
  const standalones: StandaloneResult[] = [];
  for (const standalone of STANDALONES.filter((s) => options.standalones.includes(s.id))) {
    for (const runtime of options.standaloneRuntimes) {
      console.log(`${standalone.id} on ${runtimeTitle(runtime)} ...`);
      const result = await runStandalone(
        standalone,
        runtime,
        options.scale,
        options.standaloneTimeoutMs,
      );
      standalones.push(result);
      console.log(textTable({ ...standaloneTable([result]), title: "" }).split("\n").slice(-1)[0]);
    }
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const summaries = summarise(records);
  const targetRows = targets(summaries, standalones);
  for (const table of resultTables(summaries, versions)) console.log(`\n${textTable(table)}`);
  if (standalones.length > 0) console.log(`\n${textTable(standaloneTable(standalones))}`);
  console.log(`\n${textTable(targetTable(targetRows))}`);
  console.log(
    `\n${records.length} runs and ${standalones.length} memory/scale cases in ${
      wallSeconds.toFixed(0)
    } s.`,
  );
  if (options.write) {
    const command = process.argv.length > 2
      ? `npm run bench -- ${process.argv.slice(2).join(" ")}`
      : "npm run bench";
    writeFileSync(
      RESULTS_PATH,
      markdown({
        command,
        env,
        versions,
        nativeProblem,
        runsText: runsText(options),
        summaries,
        targets: targetRows,
        standalones,
        records,
        wallSeconds,
        timeoutSeconds: options.timeoutMs / 1000,
      }),
    );
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
  const failedStandalones = standalones.filter((s) => !s.ok).length;
  if (failed + failedStandalones > 0) {
    console.log(
      `${failed} run(s) and ${failedStandalones} memory/scale case(s) had problems (see above).`,
    );
  }
  return failed + failedStandalones > 0 ? 1 : 0;
}

process.exitCode = await main();
