/**
 * The one test command (`npm test`, i.e. `node tests/run.ts` on Node 24).
 *
 * Runs every check and the test suite under Node, Deno and Bun, continuing past failures so one
 * run shows all of them, and exits non-zero if anything failed:
 *
 * 1. runtime-free: `tsc -p tsconfig.core.json` (no runtime types) and the text scanner
 *    `tests/check_runtime_free.ts`, over mod.ts, core/, zmtp/, sockets/;
 * 2. type-check: `tsc -p tsconfig.json`, and `deno check` on adapters/deno/;
 * 3. `deno lint` and `deno fmt --check`;
 * 4. every `*.test.ts` under `node --test`, `deno test` and `bun test`, one summary line per
 *    runtime and a closing `N passed, N failed[, N skipped]` line.
 *
 * Options: `--parallel` runs the three runtimes at once (output buffered per runtime);
 * `--runtime=node,bun` picks runtimes; `--tests-only` skips steps 1-3; `--timeout=SECONDS`
 * changes the per-runtime limit (default 600); any other argument is a test file to run instead
 * of all of them.
 *
 * Binaries come from `<repo>/node_modules/.bin`, never PATH, so this works from any cwd.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { checkRuntimeFree } from "./check_runtime_free.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "node_modules", ".bin");
/** A hung runtime fails clearly instead of blocking CI (whose own limit is 90 minutes). */
const DEFAULT_RUNTIME_TIMEOUT_MS = 10 * 60_000;
/** Per test, so a hang names the test; also lifts bun's 5 s default, which node and deno lack. */
const TEST_TIMEOUT_MS = 120_000;
const CHECK_TIMEOUT_MS = 3 * 60_000;
/** Directories never searched for test files. */
const SKIP_DIRS = new Set(["node_modules", "dist", "out", ".git"]);

type RuntimeName = "node" | "deno" | "bun";
const RUNTIMES: readonly RuntimeName[] = ["node", "deno", "bun"];

interface RunResult {
  readonly code: number | null;
  readonly signal: string | null;
  readonly output: string;
  readonly timedOut: boolean;
  readonly ms: number;
}

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

interface CheckOutcome {
  readonly name: string;
  readonly status: "pass" | "fail" | "skip";
  readonly ms: number;
}

interface RuntimeOutcome {
  readonly runtime: RuntimeName;
  readonly version: string;
  readonly counts: Counts;
  readonly notes: readonly string[];
}

const children = new Set<number>();
const colour = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
const paint = (code: string, text: string): string => colour ? `\x1b[${code}m${text}\x1b[0m` : text;
const LABEL = {
  pass: paint("32", "[PASS]"),
  fail: paint("31", "[FAIL]"),
  skip: paint("33", "[SKIP]"),
} as const;

function bin(name: string): string {
  return join(BIN, name);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function stripAnsi(text: string): string {
  // deno colours even into a pipe; parse the plain text.
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
}

/**
 * Runs a command in its own process group (so a timeout or an early exit can take its
 * grandchildren, e.g. libzmq peers, down with it), capturing stdout+stderr in arrival order.
 * With `stream`, output is also copied to our stdout as it comes.
 */
function run(
  command: string,
  args: readonly string[],
  options: { readonly stream?: boolean; readonly timeoutMs?: number } = {},
): Promise<RunResult> {
  const started = performance.now();
  const env = { ...process.env };
  if (!colour) env.NO_COLOR = "1";
  return new Promise((resolvePromise) => {
    if (!existsSync(command)) {
      resolvePromise({
        code: 127,
        signal: null,
        output: `${command} not found: run \`npm ci\` first\n`,
        timedOut: false,
        ms: 0,
      });
      return;
    }
    const child = spawn(command, args, {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const pid = child.pid;
    if (pid !== undefined) children.add(pid);
    const chunks: string[] = [];
    const onData = (text: string): void => {
      chunks.push(text);
      if (options.stream) process.stdout.write(text);
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr.setEncoding("utf8").on("data", onData);
    let timedOut = false;
    const timeoutMs = options.timeoutMs ?? CHECK_TIMEOUT_MS;
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      // SIGINT first: node then reports the cancelled files and deno names the pending test.
      // bun ignores it, so the whole group is killed a few seconds later regardless.
      try {
        if (pid !== undefined) process.kill(pid, "SIGINT");
      } catch {
        // Already gone.
      }
      killTimer = setTimeout(() => killGroup(pid), 5_000);
    }, timeoutMs);
    let exit: { code: number | null; signal: string | null } = { code: null, signal: null };
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      // Whatever the command left running in its group (a leaked peer, a stuck worker) goes
      // too; otherwise an inherited pipe could keep "close" from ever firing.
      killGroup(pid);
    });
    let done = false;
    const finish = (extra = ""): void => {
      // A failed spawn may emit both "error" and "close".
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      if (pid !== undefined) children.delete(pid);
      if (timedOut) extra += `\n[run.ts] stopped after the ${seconds(timeoutMs)} timeout\n`;
      if (options.stream && extra !== "") process.stdout.write(extra);
      resolvePromise({
        ...exit,
        output: chunks.join("") + extra,
        timedOut,
        ms: performance.now() - started,
      });
    };
    child.once("close", () => finish());
    child.once("error", (error) => finish(`[run.ts] ${command}: ${error.message}\n`));
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

function passed(result: RunResult): boolean {
  return result.code === 0 && !result.timedOut;
}

function printOutput(output: string): void {
  const text = output.trimEnd();
  if (text !== "") console.log(text);
}

/** Lists the test files: every `*.test.ts` under the repo except dependencies and output. */
function findTestFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (!SKIP_DIRS.has(name) && !name.startsWith(".")) walk(path);
      } else if (name.endsWith(".test.ts")) {
        found.push(path);
      }
    }
  };
  walk(ROOT);
  return found.sort();
}

// ---------------------------------------------------------------------------------------------
// Steps 1-3: checks

const checks: CheckOutcome[] = [];

async function check(
  name: string,
  body: () => Promise<{ ok: boolean; output: string } | "skip">,
): Promise<void> {
  const started = performance.now();
  console.log(`\n▶ ${name}`);
  let status: CheckOutcome["status"];
  try {
    const result = await body();
    if (result === "skip") status = "skip";
    else {
      status = result.ok ? "pass" : "fail";
      // Quiet on success (tsc prints nothing, deno prints "Checked N files"); all of it on failure.
      if (!result.ok) printOutput(result.output);
    }
  } catch (error) {
    status = "fail";
    console.log(error instanceof Error ? error.stack : String(error));
  }
  const ms = performance.now() - started;
  checks.push({ name, status, ms });
  console.log(`${LABEL[status]} ${name} (${seconds(ms)})`);
}

/**
 * TS2307 on a dynamic `import("./adapters/...")` in mod.ts, and on `libsodium-wrappers` in
 * zmtp/curve_sodium.ts, are expected under tsconfig.core.json (`noResolve` keeps adapters and
 * dependencies out of the program; the full type-check resolves them); any other error counts.
 */
function coreTypeErrors(output: string): string {
  const kept: string[] = [];
  let skipping = false;
  const modLines = existsSync(join(ROOT, "mod.ts"))
    ? readFileSync(join(ROOT, "mod.ts"), "utf8").split("\n")
    : [];
  for (const line of stripAnsi(output).split("\n")) {
    const head = /^(.+?)\((\d+),(\d+)\): error (TS\d+): /.exec(line);
    if (head !== null) {
      const [, file, row, column, code] = head;
      const before = modLines[Number(row) - 1]?.slice(0, Number(column) - 1) ?? "";
      skipping = (file === "mod.ts" && code === "TS2307" &&
        /Cannot find module '\.\/adapters\//.test(line) && /\bimport\s*\(\s*$/.test(before)) ||
        // The one library the protocol layer uses (CURVE's crypto) is resolved by the full check.
        (file === "zmtp/curve_sodium.ts" && code === "TS2307" &&
          /Cannot find module 'libsodium-wrappers'/.test(line));
    } else if (!/^\s/.test(line)) {
      skipping = false;
    }
    if (!skipping) kept.push(line);
  }
  return kept.join("\n").trim();
}

async function runChecks(): Promise<void> {
  await check("runtime-free: tsc -p tsconfig.core.json (no runtime types)", async () => {
    const result = await run(bin("tsc"), ["-p", "tsconfig.core.json"]);
    const errors = coreTypeErrors(result.output);
    // A non-zero exit is fine only when every error it reported was the expected one.
    const onlyExpected = result.code === 0 || /error TS/.test(result.output);
    const ok = !result.timedOut && onlyExpected && !/error TS\d+/.test(errors);
    return { ok, output: result.timedOut || !onlyExpected ? result.output : errors };
  });

  await check("runtime-free: tests/check_runtime_free.ts scan", () => {
    const findings = checkRuntimeFree(ROOT);
    const output = findings
      .map((f) => `${f.file}:${f.line}:${f.column}: forbidden "${f.match}" in: ${f.source}`)
      .join("\n");
    return Promise.resolve({ ok: findings.length === 0, output });
  });

  await check("type-check: tsc -p tsconfig.json", async () => {
    const result = await run(bin("tsc"), ["-p", "tsconfig.json"]);
    return { ok: passed(result), output: result.output };
  });

  await check("type-check: deno check adapters/deno", async () => {
    const dir = join(ROOT, "adapters", "deno");
    if (!existsSync(dir)) {
      console.log("adapters/deno/ does not exist yet: skipped");
      return "skip";
    }
    const files: string[] = [];
    const walk = (path: string): void => {
      for (const name of readdirSync(path)) {
        const child = join(path, name);
        if (statSync(child).isDirectory()) walk(child);
        else if (name.endsWith(".ts")) files.push(relative(ROOT, child));
      }
    };
    walk(dir);
    if (files.length === 0) {
      console.log("adapters/deno/ has no .ts files yet: skipped");
      return "skip";
    }
    const result = await run(bin("deno"), ["check", ...files.sort()]);
    return { ok: passed(result), output: result.output };
  });

  await check("deno lint", async () => {
    const result = await run(bin("deno"), ["lint"]);
    return { ok: passed(result), output: result.output };
  });

  await check("deno fmt --check", async () => {
    const result = await run(bin("deno"), ["fmt", "--check"]);
    return { ok: passed(result), output: result.output };
  });
}

// ---------------------------------------------------------------------------------------------
// Step 4: the tests under each runtime

function lastNumber(text: string, pattern: RegExp): number | undefined {
  let value: number | undefined;
  for (const match of text.matchAll(pattern)) value = Number(match[1]);
  return value;
}

/** node's spec reporter ends with `ℹ pass N`, `ℹ fail N`, ... lines. */
function parseNode(output: string): Counts | undefined {
  const get = (key: string): number | undefined =>
    lastNumber(output, new RegExp(`^\\S*\\s*${key} (\\d+)\\s*$`, "gm"));
  const pass = get("pass");
  const fail = get("fail");
  if (pass === undefined || fail === undefined) return undefined;
  return {
    passed: pass,
    failed: fail + (get("cancelled") ?? 0),
    skipped: (get("skipped") ?? 0) + (get("todo") ?? 0),
  };
}

/** bun ends with ` N pass`, ` N fail`, and ` N skip` / ` N todo` / ` N error` when non-zero. */
function parseBun(output: string): Counts | undefined {
  const get = (key: string): number | undefined =>
    lastNumber(output, new RegExp(`^\\s*(\\d+) ${key}\\s*$`, "gm"));
  const pass = get("pass");
  const fail = get("fail");
  if (pass === undefined || fail === undefined) return undefined;
  return {
    passed: pass,
    // An unhandled error between tests shows as both "1 fail" and "1 error": count it once.
    failed: Math.max(fail, get("errors?") ?? 0),
    skipped: (get("skip") ?? 0) + (get("todo") ?? 0),
  };
}

function decodeXml(text: string): string {
  return text.replace(
    /&(lt|gt|quot|apos|amp);/g,
    (_, name: string) => ({ lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" })[name] ?? "",
  );
}

/**
 * Counts deno's JUnit report by leaf test. deno's own summary counts each `describe` as a test
 * and each `it` as a step, so the same file would read 1 passed (11 steps) where node and bun
 * say 11 passed; leaves make the three lines comparable. A suite counts only when it failed
 * with no failing leaf under it (a hook failed).
 */
function parseDenoJunit(xml: string): Counts | undefined {
  const cases: { name: string; failed: boolean; skipped: boolean }[] = [];
  const pattern = /<testcase\s+name="([^"]*)"[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const match of xml.matchAll(pattern)) {
    const body = match[2] ?? "";
    cases.push({
      name: decodeXml(match[1]),
      failed: /<(failure|error)\b/.test(body),
      skipped: /<skipped\b/.test(body),
    });
  }
  if (cases.length === 0 && !/<testsuites\b/.test(xml)) return undefined;
  const counts: Counts = { passed: 0, failed: 0, skipped: 0 };
  for (const test of cases) {
    const prefix = `${test.name} > `;
    const children = cases.filter((other) => other.name.startsWith(prefix));
    if (children.length > 0) {
      if (test.failed && !children.some((child) => child.failed)) counts.failed++;
      continue;
    }
    if (test.failed) counts.failed++;
    else if (test.skipped) counts.skipped++;
    else counts.passed++;
  }
  return counts;
}

/** Fallback when deno wrote no JUnit file: `ok | 3 passed (9 steps) | 0 failed | 1 ignored`. */
function parseDenoSummary(output: string): Counts | undefined {
  const match =
    /(?:ok|FAILED) \| (\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed(?: \((\d+) steps?\))?(?: \| (\d+) ignored(?: \((\d+) steps?\))?)?/
      .exec(output);
  if (match === null) return undefined;
  const n = (i: number): number => Number(match[i] ?? 0);
  return { passed: n(1) + n(2), failed: n(3) + n(4), skipped: n(5) + n(6) };
}

async function version(runtime: RuntimeName): Promise<string> {
  const result = await run(bin(runtime), ["--version"]);
  const match = /(\d+\.\d+\.\d+)/.exec(result.output);
  return match?.[1] ?? "unknown";
}

async function runRuntime(
  runtime: RuntimeName,
  files: readonly string[],
  stream: boolean,
  timeoutMs: number,
): Promise<RuntimeOutcome & { readonly output: string }> {
  const junit = join(tmpdir(), `monocoque-deno-junit-${process.pid}.xml`);
  const args: Record<RuntimeName, string[]> = {
    node: [
      "--test",
      "--test-reporter=spec",
      "--test-reporter-destination=stdout",
      `--test-timeout=${TEST_TIMEOUT_MS}`,
      ...files,
    ],
    deno: ["test", "--no-check", "-A", `--junit-path=${junit}`, ...files],
    // Absolute paths: bun reads a bare relative argument as a name filter, not a path.
    bun: ["test", `--timeout=${TEST_TIMEOUT_MS}`, ...files.map((file) => resolve(ROOT, file))],
  };
  const runtimeVersion = await version(runtime);
  if (stream) console.log(`\n▶ tests under ${runtime} ${runtimeVersion}\n`);
  rmSync(junit, { force: true });
  const result = await run(bin(runtime), args[runtime], { stream, timeoutMs });
  const plain = stripAnsi(result.output);
  let counts: Counts | undefined;
  if (runtime === "node") counts = parseNode(plain);
  else if (runtime === "bun") counts = parseBun(plain);
  else {
    if (existsSync(junit)) counts = parseDenoJunit(readFileSync(junit, "utf8"));
    counts ??= parseDenoSummary(plain);
    rmSync(junit, { force: true });
  }
  const notes: string[] = [];
  if (counts === undefined) {
    notes.push("no test summary found in the output");
    counts = { passed: 0, failed: 0, skipped: 0 };
  }
  if (result.timedOut) notes.push(`timed out after ${seconds(timeoutMs)}`);
  else if (result.code !== 0) {
    notes.push(`runner exited with ${result.signal ?? `code ${result.code}`}`);
  }
  // A runner that failed counts as a failure even when no test was reported failing
  // (a file that did not load, a crash between tests, a hang).
  if (!passed(result) && counts.failed === 0) counts.failed = 1;
  return { runtime, version: runtimeVersion, counts, notes, output: result.output };
}

function summaryLine(outcome: RuntimeOutcome): string {
  const { passed, failed, skipped } = outcome.counts;
  const notes = outcome.notes.length > 0 ? ` (${outcome.notes.join("; ")})` : "";
  return `${outcome.runtime} ${outcome.version}: ${passed} passed, ${failed} failed, ` +
    `${skipped} skipped${notes}`;
}

// ---------------------------------------------------------------------------------------------

interface Options {
  readonly parallel: boolean;
  readonly testsOnly: boolean;
  readonly timeoutMs: number;
  readonly runtimes: readonly RuntimeName[];
  readonly files: readonly string[];
}

function parseArgs(argv: readonly string[]): Options {
  let parallel = false;
  let testsOnly = false;
  let timeoutMs = DEFAULT_RUNTIME_TIMEOUT_MS;
  let runtimes: readonly RuntimeName[] = RUNTIMES;
  const files: string[] = [];
  for (const arg of argv) {
    if (arg === "--parallel") parallel = true;
    else if (arg === "--tests-only") testsOnly = true;
    else if (arg.startsWith("--timeout=")) {
      const value = Number(arg.slice("--timeout=".length));
      if (!(value > 0)) throw new RangeError(`--timeout wants seconds > 0, got "${arg}"`);
      timeoutMs = value * 1000;
    } else if (arg.startsWith("--runtime=")) {
      const wanted = arg.slice("--runtime=".length).split(",");
      for (const name of wanted) {
        if (!(RUNTIMES as readonly string[]).includes(name)) {
          throw new RangeError(`unknown runtime "${name}": expected node, deno or bun`);
        }
      }
      runtimes = RUNTIMES.filter((name) => wanted.includes(name));
    } else if (arg.startsWith("--")) {
      throw new RangeError(
        `unknown option "${arg}": expected --parallel, --tests-only, --runtime=, --timeout= or files`,
      );
    } else {
      const path = resolve(process.cwd(), arg);
      if (!existsSync(path)) throw new RangeError(`test file not found: ${arg}`);
      files.push(path);
    }
  }
  return { parallel, testsOnly, timeoutMs, runtimes, files };
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const started = performance.now();

  if (!options.testsOnly) await runChecks();

  const files = (options.files.length > 0 ? [...options.files] : findTestFiles())
    .map((file) => relative(ROOT, file));
  console.log(`\n▶ tests: ${files.length} files under ${options.runtimes.join(", ")}`);
  for (const file of files) console.log(`  ${file}`);

  const outcomes: RuntimeOutcome[] = [];
  if (files.length === 0) {
    console.log(`${LABEL.fail} no *.test.ts files found`);
  } else if (options.parallel) {
    // Buffered, then printed whole as each runtime finishes: interleaved output is unreadable.
    await Promise.all(options.runtimes.map(async (runtime) => {
      const outcome = await runRuntime(runtime, files, false, options.timeoutMs);
      console.log(`\n▶ tests under ${runtime} ${outcome.version}\n`);
      printOutput(outcome.output);
      outcomes.push(outcome);
    }));
    outcomes.sort((a, b) => RUNTIMES.indexOf(a.runtime) - RUNTIMES.indexOf(b.runtime));
  } else {
    for (const runtime of options.runtimes) {
      outcomes.push(await runRuntime(runtime, files, true, options.timeoutMs));
    }
  }

  console.log(`\n── summary (${seconds(performance.now() - started)}) ──`);
  for (const outcome of checks) console.log(`${LABEL[outcome.status]} ${outcome.name}`);
  for (const outcome of outcomes) {
    const ok = outcome.counts.failed === 0;
    console.log(`${ok ? LABEL.pass : LABEL.fail} ${summaryLine(outcome)}`);
  }
  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  for (const { counts } of outcomes) {
    total.passed += counts.passed;
    total.failed += counts.failed;
    total.skipped += counts.skipped;
  }
  // A failed check counts as one failure, so the closing line never reads "0 failed" on a run
  // that exits non-zero.
  total.failed += checks.filter((c) => c.status === "fail").length;
  if (files.length === 0) total.failed++;
  const skipped = total.skipped > 0 ? `, ${total.skipped} skipped` : "";
  console.log(`${total.passed} passed, ${total.failed} failed${skipped}`);
  return total.failed === 0 ? 0 : 1;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    for (const pid of children) killGroup(pid);
    process.exit(130);
  });
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 2;
}
