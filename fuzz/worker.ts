/**
 * Runs one target's fuzz loop in a worker thread, so that the main thread
 * can watch its progress and stop it when one input hangs (an endless loop
 * cannot be interrupted from inside). Progress is the current input number,
 * published through shared memory before each input.
 *
 * @module
 */

import { parentPort, workerData } from "node:worker_threads";
import { fuzz } from "./fuzzer.ts";
import { savedByTarget } from "./regressions.ts";
import { loadTargets } from "./targets.ts";

/** What the main thread asks of the worker. */
export interface WorkerJob {
  readonly target: string;
  readonly seed: number;
  readonly firstIteration: number;
  readonly seconds: number;
  readonly budgetMs: number;
  readonly minimizeMs: number;
  /** [0]: current input number, [1]: 1 once the targets are loaded, [2]: shrinking steps. */
  readonly progress: SharedArrayBuffer;
}

const job = workerData as WorkerJob;
const progress = new Int32Array(job.progress);
const targets = await loadTargets(savedByTarget("corpus"));
const target = targets.find((t) => t.name === job.target);
if (target === undefined) throw new Error(`no fuzz target named ${job.target}`);
Atomics.store(progress, 1, 1);
const started = performance.now();
const summary = fuzz(target, {
  seed: job.seed,
  firstIteration: job.firstIteration,
  deadline: started + job.seconds * 1000,
  budgetMs: job.budgetMs,
  minimizeMs: job.minimizeMs,
  onInput: (iteration) => Atomics.store(progress, 0, iteration),
  onStep: () => Atomics.add(progress, 2, 1),
  onFinding: (finding) => parentPort!.postMessage({ type: "finding", finding }),
});
parentPort!.postMessage({
  type: "done",
  execs: summary.execs,
  seconds: (performance.now() - started) / 1000,
});
