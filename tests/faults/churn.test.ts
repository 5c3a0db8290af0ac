// Connection churn: 10,000 connections made and ended against one bound Router leave nothing
// behind — no file descriptor, timer, event listener, pipe, routing table entry or heap growth.
//
// The churn runs in a child process on this test's own runtime (tests/fixtures/churn_child.ts),
// because measuring the heap needs the garbage collector exposed, which takes a start-up flag,
// and counting timers means replacing the runtime's timer globals.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Census } from "../fixtures/churn_child.ts";

const SCRIPT = fileURLToPath(new URL("../fixtures/churn_child.ts", import.meta.url));
const CYCLES = 10_000;
/** Cycles before the first count, so that code compiled and caches filled on first use is not
 * taken for growth. */
const WARMUP = 500;
/**
 * Heap growth allowed over the 10,000 cycles: 1 MiB, about 100 bytes a cycle. Anything a
 * connection leaves behind is larger than that (a pipe with its two queues, an engine, a session,
 * a map entry: hundreds of bytes each); a child that keeps one empty Uint8Array per cycle grows by
 * about 2.3 MB on Node. A clean run grows by about 0.2 MB on every runtime (compiled code and
 * runtime-internal tables).
 */
const HEAP_SLACK = 1024 * 1024;

interface ChurnResult {
  readonly cycles: number;
  readonly ms: number;
  readonly received: number;
  readonly before: Census;
  readonly after: Census;
}

/** This runtime, with its garbage collector exposed, running the churn script. */
function command(): string[] {
  if ("Deno" in globalThis) {
    return [process.execPath, "run", "-A", "--no-check", "--v8-flags=--expose-gc", SCRIPT];
  }
  if ("Bun" in globalThis) return [process.execPath, SCRIPT];
  return [process.execPath, "--expose-gc", SCRIPT];
}

async function churn(
  mode: "sockets" | "reconnect" | "abandon" | "refused",
  transport: "tcp" | "inproc" = "tcp",
  cycles = CYCLES,
): Promise<ChurnResult> {
  const [bin, ...args] = command();
  const child = spawn(bin, [...args, mode, String(cycles), String(WARMUP), transport], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => stdout += chunk);
  child.stderr.on("data", (chunk: string) => stderr += chunk);
  // Only keeps a hung child from hanging the suite; the runner's per-test limit is 120 s.
  const guard = setTimeout(() => child.kill("SIGKILL"), 100_000);
  try {
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
      child.once("close", (code, signal) => resolve([code, signal]))
    );
    assert.deepEqual([code, signal], [0, null], `the churn child failed; stderr: ${stderr}`);
    return JSON.parse(stdout) as ChurnResult;
  } finally {
    clearTimeout(guard);
  }
}

/** What every connection of a run did: armed timers (a tcp one does), got through its handshake. */
interface Expected {
  readonly timers?: boolean;
  readonly handshakes?: boolean;
}

function assertNothingLeft(
  { before, after }: ChurnResult,
  { timers = true, handshakes = true }: Expected = {},
): void {
  const report = `before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`;
  // The counters saw the library at work: every tcp connection armed timers (its handshake
  // timeout) and, once through its handshake, got a pipe and a route.
  if (timers) {
    assert.ok(after.timersArmed - before.timersArmed >= CYCLES, `timers not seen; ${report}`);
  }
  const handshaken = handshakes ? CYCLES : 0;
  assert.equal(after.routesAdded - before.routesAdded, handshaken, `routes not seen; ${report}`);
  assert.equal(after.pipesAttached - before.pipesAttached, handshaken, `pipes not seen; ${report}`);
  // Both counts are taken at rest (every connection of the run ended), so they must be equal.
  assert.ok(after.fds <= before.fds, `file descriptors leaked; ${report}`);
  assert.ok(after.timers <= before.timers, `timers left running; ${report}`);
  assert.equal(after.listeners, before.listeners, `event listeners left; ${report}`);
  assert.equal(after.routes, 0, `routing table entries left; ${report}`);
  assert.equal(after.pipes, 0, `pipes left; ${report}`);
  assert.ok(after.heap - before.heap < HEAP_SLACK, `heap grew; ${report}`);
}

describe("10,000 connections made and ended against one bound Router (tcp unless said)", () => {
  test("a new Dealer each time (connect, handshake, one message, close): nothing is left", async () => {
    const result = await churn("sockets");
    assertNothingLeft(result);
    // linger -1 (the default): every message sent before close() arrived.
    assert.equal(result.received, WARMUP + CYCLES);
  });

  test("one Dealer connecting and disconnecting each time: nothing is left", async () => {
    assertNothingLeft(await churn("reconnect"));
  });

  test("a new Dealer each time, closed with linger 0 before the handshake: nothing is left", async () => {
    assertNothingLeft(await churn("abandon"), { handshakes: false });
  });

  test("refused attempts: an engine made for a connection that never came is not kept", async () => {
    // Each attempt used to leave its engine in the socket until close(): about 2 KB a retry,
    // 83 MB an hour at the default interval for a peer that is down. 2,000 attempts would leave
    // 4 MB, four times the heap slack.
    const ATTEMPTS = 2000;
    const { before, after } = await churn("refused", "tcp", ATTEMPTS);
    const report = `before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`;
    assert.ok(after.timersArmed - before.timersArmed >= ATTEMPTS, `timers not seen; ${report}`);
    assert.ok(after.fds <= before.fds, `file descriptors leaked; ${report}`);
    assert.ok(after.timers <= before.timers, `timers left running; ${report}`);
    assert.ok(after.heap - before.heap < HEAP_SLACK, `heap grew; ${report}`);
  });

  test("over inproc, a new Dealer each time: nothing is left", async () => {
    const result = await churn("sockets", "inproc");
    // No session over inproc, hence no handshake timer.
    assertNothingLeft(result, { timers: false });
    assert.equal(result.received, WARMUP + CYCLES);
  });
});
