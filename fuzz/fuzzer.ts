/**
 * The fuzz loop shared by `npm run fuzz` and the bounded test: inputs made
 * from a seed, each checked against its target, failures shrunk to a small
 * input that still fails the same way.
 *
 * @module
 */

import { mutate } from "./mutate.ts";
import { mixSeed, Prng } from "./prng.ts";
import type { FuzzTarget } from "./targets.ts";

/** An input that broke an invariant. */
export interface Finding {
  /** The target it broke. */
  readonly target: string;
  /** The seed the input was made from (`--input-seed`), if it was generated. */
  readonly inputSeed?: number;
  /** The failing input as generated. */
  readonly input: Uint8Array;
  /** A smaller input failing with the same message. */
  readonly minimized: Uint8Array;
  /** What went wrong. */
  readonly message: string;
}

/**
 * Runs one input; returns why it failed, or undefined. Taking longer than
 * `budgetMs` is a failure too (a finite but runaway input).
 *
 * @example
 * ```ts
 * const failure = check(target, input, 2000);
 * ```
 */
export function check(target: FuzzTarget, input: Uint8Array, budgetMs: number): string | undefined {
  const started = performance.now();
  try {
    target.run(input);
  } catch (error) {
    const name = error instanceof Error ? error.name : typeof error;
    const message = error instanceof Error ? error.message : String(error);
    return `${name}: ${message}`;
  }
  const elapsed = performance.now() - started;
  if (elapsed <= budgetMs) return undefined;
  // One slow run may be the machine's doing (other processes, a collection): slow twice counts.
  const again = performance.now();
  target.run(input);
  const second = performance.now() - again;
  if (second <= budgetMs) return undefined;
  return `slow: ${Math.min(elapsed, second).toFixed(0)} ms, over the ${budgetMs} ms budget`;
}

/**
 * The input number `iteration` of a run seeded with `seed`, reproducible on
 * its own from the seed it returns.
 *
 * @example
 * ```ts
 * const input = generate(target, inputSeed(1, 42));
 * ```
 */
export function generate(target: FuzzTarget, seed: number): Uint8Array {
  const rng = new Prng(seed);
  const corpus = target.corpus;
  return mutate(rng.pick(corpus), rng.pick(corpus), rng);
}

/** The seed of input number `iteration` in a run seeded with `runSeed`. */
export function inputSeed(runSeed: number, iteration: number): number {
  return mixSeed(runSeed, iteration);
}

/** What a failure is, without the numbers that change from one input to the next. */
function kind(message: string): string {
  return message.split("\n")[0].replace(/[0-9a-f]{6,}/g, "#").replace(/\d+/g, "#");
}

/**
 * Shrinks a failing input: drops ranges, then single bytes, then zeroes
 * bytes, keeping each change that still fails the same way, within
 * `budgetMs` in all.
 *
 * @example
 * ```ts
 * const small = minimize(target, input, failure, 5000);
 * ```
 */
export function minimize(
  target: FuzzTarget,
  input: Uint8Array,
  failure: string,
  budgetMs: number,
  execBudgetMs = 10_000,
  onStep: () => void = () => {},
): Uint8Array {
  const wanted = kind(failure);
  const deadline = performance.now() + budgetMs;
  const fails = (candidate: Uint8Array): boolean => {
    onStep();
    const result = check(target, candidate, execBudgetMs);
    return result !== undefined && kind(result) === wanted;
  };
  let best = input;
  for (let size = best.length >> 1; size >= 1 && performance.now() < deadline; size >>= 1) {
    for (let at = 0; at + size <= best.length && performance.now() < deadline;) {
      const candidate = new Uint8Array(best.length - size);
      candidate.set(best.subarray(0, at));
      candidate.set(best.subarray(at + size), at);
      if (fails(candidate)) best = candidate;
      else at += size;
    }
  }
  for (let at = 0; at < best.length && performance.now() < deadline; at++) {
    if (best[at] === 0) continue;
    const candidate = best.slice();
    candidate[at] = 0;
    if (fails(candidate)) best = candidate;
  }
  return best;
}

/** How long and how a run goes. */
export interface RunOptions {
  /** The run's seed: the same seed makes the same inputs. */
  readonly seed: number;
  /** First input number (to resume or split a run). */
  readonly firstIteration?: number;
  /** Stop after this many inputs. */
  readonly iterations?: number;
  /** Stop at this `performance.now()` time. */
  readonly deadline?: number;
  /** Per-input time budget in milliseconds. */
  readonly budgetMs: number;
  /** Time allowed to shrink each new kind of failure. */
  readonly minimizeMs: number;
  /** Called before each input, e.g. to publish progress to a watchdog. */
  readonly onInput?: (iteration: number) => void;
  /** Called before each attempt while shrinking a failure (progress too). */
  readonly onStep?: () => void;
  /** Called for the first input of each new kind of failure. */
  readonly onFinding?: (finding: Finding) => void;
}

/** What a run did. */
export interface RunSummary {
  /** Inputs run. */
  readonly execs: number;
  /** One finding per kind of failure. */
  readonly findings: readonly Finding[];
}

/**
 * Runs generated inputs against `target` until the iteration count or the
 * deadline, whichever comes first.
 *
 * @example
 * ```ts
 * const { execs, findings } = fuzz(target, { seed: 1, iterations: 500, budgetMs: 2000, minimizeMs: 2000 });
 * ```
 */
export function fuzz(target: FuzzTarget, options: RunOptions): RunSummary {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const first = options.firstIteration ?? 0;
  const last = first + (options.iterations ?? Infinity);
  const deadline = options.deadline ?? Infinity;
  let execs = 0;
  for (let iteration = first; iteration < last; iteration++) {
    if ((execs & 15) === 0 && performance.now() >= deadline) break;
    options.onInput?.(iteration);
    const seed = inputSeed(options.seed, iteration);
    const input = generate(target, seed);
    const failure = check(target, input, options.budgetMs);
    execs++;
    if (failure === undefined || seen.has(kind(failure))) continue;
    seen.add(kind(failure));
    const minimized = minimize(
      target,
      input,
      failure,
      options.minimizeMs,
      options.budgetMs * 5,
      options.onStep,
    );
    const finding = { target: target.name, inputSeed: seed, input, minimized, message: failure };
    findings.push(finding);
    options.onFinding?.(finding);
  }
  return { execs, findings };
}
