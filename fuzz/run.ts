/**
 * `npm run fuzz`: fuzzes the protocol layer (frame decoder, greeting,
 * commands, metadata, Z85, and whole sessions with NULL, PLAIN and CURVE in
 * both roles) and reports every new kind of failure with the seed that
 * reproduces it and a minimized input, saved under fuzz/regressions/.
 *
 * Usage: `node fuzz/run.ts [--seconds=N] [--seed=S] [--target=a,b] [--budget-ms=N]
 * [--hang-ms=N] [--no-save]`, or `node fuzz/run.ts --target=name --input-seed=N` to
 * replay one input. Without `--seconds` it runs until interrupted, in
 * slices of 60 s per target. Runs under Deno (`deno run -A fuzz/run.ts`)
 * and Bun (`bun fuzz/run.ts`) too.
 *
 * @module
 */

import process from "node:process";
import { Worker } from "node:worker_threads";
import { toHex } from "../core/bytes.ts";
import { check, type Finding, generate, inputSeed } from "./fuzzer.ts";
import { savedByTarget, saveInput } from "./regressions.ts";
import { loadTargets } from "./targets.ts";
import type { WorkerJob } from "./worker.ts";

const args = new Map<string, string>();
for (const arg of process.argv.slice(2)) {
  const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
  if (match === null) throw new TypeError(`unknown argument ${arg}`);
  args.set(match[1], match[2] ?? "");
}
const seconds = args.has("seconds") ? Number(args.get("seconds")) : Infinity;
const seed = args.has("seed") ? Number(args.get("seed")) >>> 0 : (Date.now() >>> 0);
const budgetMs = Number(args.get("budget-ms") ?? 2000);
const hangMs = Number(args.get("hang-ms") ?? 10_000);
const save = !args.has("no-save");
const SLICE_SECONDS = 60;

const targets = await loadTargets(savedByTarget("corpus"));
const wanted = args.get("target")?.split(",") ?? targets.map((t) => t.name);
for (const name of wanted) {
  if (!targets.some((t) => t.name === name)) {
    throw new TypeError(
      `no fuzz target ${name}; targets: ${targets.map((t) => t.name).join(", ")}`,
    );
  }
}

if (args.has("input-seed")) {
  const target = targets.find((t) => t.name === wanted[0])!;
  const input = generate(target, Number(args.get("input-seed")) >>> 0);
  console.log(`input (${input.length} bytes): ${toHex(input)}`);
  console.log(check(target, input, budgetMs) ?? "passes");
  process.exit(0);
}

function report(finding: Finding): void {
  const reproduce = finding.inputSeed === undefined
    ? ""
    : `  reproduce: node fuzz/run.ts --target=${finding.target} --input-seed=${finding.inputSeed}\n`;
  console.log(
    `\nFINDING in ${finding.target}: ${finding.message}\n${reproduce}` +
      `  minimized (${finding.minimized.length} bytes): ${toHex(finding.minimized)}`,
  );
  if (save) {
    const path = saveInput(
      "regressions",
      finding.target,
      `seed-${finding.inputSeed}`,
      finding.minimized,
      `${finding.message}\nfound with --input-seed=${finding.inputSeed}`,
    );
    console.log(`  saved to ${path}`);
  }
}

interface SliceResult {
  execs: number;
  seconds: number;
  next: number;
  findings: number;
}

/** Runs one target for `sliceSeconds` from input `first` in a worker, stopping it if an input hangs. */
function slice(name: string, first: number, sliceSeconds: number): Promise<SliceResult> {
  const progress = new SharedArrayBuffer(12);
  const view = new Int32Array(progress);
  Atomics.store(view, 0, first);
  const job: WorkerJob = {
    target: name,
    seed,
    firstIteration: first,
    seconds: sliceSeconds,
    budgetMs,
    minimizeMs: 10_000,
    progress,
  };
  const worker = new Worker(new URL("./worker.ts", import.meta.url), { workerData: job });
  let findings = 0;
  return new Promise((resolve, reject) => {
    let last = "";
    let lastChange = performance.now();
    const watchdog = setInterval(() => {
      const current = Atomics.load(view, 0);
      // Loading the targets, a new input or a shrinking step is progress.
      const state = `${current}:${Atomics.load(view, 2)}`;
      if (state !== last || Atomics.load(view, 1) === 0) {
        last = state;
        lastChange = performance.now();
        return;
      }
      if (performance.now() - lastChange < hangMs) return;
      // An input ran for hangMs without finishing: a hang. Report it and carry on after it.
      clearInterval(watchdog);
      void worker.terminate();
      const target = targets.find((t) => t.name === name)!;
      const seedOfInput = inputSeed(seed, current);
      const input = generate(target, seedOfInput);
      report({
        target: name,
        inputSeed: seedOfInput,
        input,
        minimized: input,
        message: `hang: input ${current} ran for more than ${hangMs} ms`,
      });
      resolve({ execs: current - first, seconds: hangMs / 1000, next: current + 1, findings: 1 });
    }, 250);
    worker.on(
      "message",
      (message: { type: string; finding?: Finding; execs?: number; seconds?: number }) => {
        if (message.type === "finding") {
          findings++;
          report(message.finding!);
        } else if (message.type === "done") {
          clearInterval(watchdog);
          resolve({
            execs: message.execs!,
            seconds: message.seconds!,
            next: first + message.execs!,
            findings,
          });
        }
      },
    );
    worker.on("error", (error) => {
      clearInterval(watchdog);
      reject(error);
    });
  });
}

console.log(
  `fuzzing ${wanted.join(", ")} with --seed=${seed}` +
    (Number.isFinite(seconds) ? ` for ${seconds} s` : " until interrupted"),
);
const next = new Map(wanted.map((name) => [name, 0]));
const totals = new Map(wanted.map((name) => [name, { execs: 0, seconds: 0, findings: 0 }]));
const perTarget = Number.isFinite(seconds) ? seconds / wanted.length : SLICE_SECONDS;
do {
  for (const name of wanted) {
    let remaining = perTarget;
    while (remaining > 0.05) {
      const result = await slice(name, next.get(name)!, remaining);
      next.set(name, result.next);
      const total = totals.get(name)!;
      total.execs += result.execs;
      total.seconds += result.seconds;
      total.findings += result.findings;
      remaining -= result.seconds;
      console.log(
        `${name}: ${result.execs} execs in ${result.seconds.toFixed(1)} s ` +
          `(${(result.execs / result.seconds).toFixed(0)}/s), total ${total.execs}, ` +
          `findings ${total.findings}`,
      );
    }
  }
} while (!Number.isFinite(seconds));
let execs = 0;
let findings = 0;
for (const total of totals.values()) {
  execs += total.execs;
  findings += total.findings;
}
console.log(`\n${execs} execs, ${findings} findings, seed ${seed}`);
