// Shutdown across processes: close() with ZMQ_LINGER flushes what it can, for as long as linger
// allows, and then releases everything, so that a process whose sockets are all closed exits by
// itself.
//
// Our default linger is -1 (wait for ever), as in libzmq and zeromq v6, except for Subscriber and
// XSubscriber, whose default is 0 as libzmq gives SUB sockets (sockets/options.ts). Where we
// differ: close() stops connecting, so messages queued for a peer never reached can never leave
// and are dropped at once, whatever the linger; libzmq drops them too (they never arrive), but
// zeromq v6 keeps the process alive for the linger first — for ever with the default -1 ("Waiting
// for queued ZeroMQ messages to be delivered"). For a connected peer that stopped reading we
// behave as libzmq: close() keeps writing for up to linger ms, then cuts the connection.
//
// The in-process cases (linger with a Router in the same process, inproc, the other exit
// scenarios) are in tests/sockets/lifecycle.test.ts.
import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import process from "node:process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
// Loads the runtime's tcp/ipc transport on first bind or connect.
import "../../mod.ts";
import { Push } from "../../sockets/push.ts";
import { digestMessages, type LibzmqPeer, startMonocoquePeer } from "../fixtures/libzmq.ts";
import { numberedMessage } from "../fixtures/numbered_message.ts";
import { connectToPeer, peerKinds, peerRuntime } from "../fixtures/peer_runtime.ts";

const SCRIPT = fileURLToPath(new URL("../fixtures/close_then_exit.ts", import.meta.url));
/** Milliseconds from the last close() to the exit that count as prompt (as lifecycle.test.ts). */
const PROMPT_MS = 2000;
/** Messages of 64 KiB in the `stalled` scenario: 16 MiB, several times what the kernel buffers
 * for a peer that does not read (about 4 MiB of send buffer plus its receive buffer). */
const STALLED_COUNT = 256;
const STALLED_SIZE = 64 * 1024;

const VICTIMS = peerKinds();

describe("close() with linger > 0 and a reading peer in another process", () => {
  // More than one engine batch (256 KiB): when close() is called in the same turn as the sends,
  // most of these are still in the Push's pipe, not yet handed to the connection.
  const COUNT = 3000;
  const messages = Array.from({ length: COUNT }, (_, i) => [numberedMessage(i, 1024)]);

  for (const victim of VICTIMS) {
    test(`every message sent just before close() arrives (${victim.label})`, async () => {
      const push = new Push({ linger: 5000, sendHighWaterMark: 0 });
      const peer = await victim.start();
      try {
        await peer.socket("pull", "Pull");
        await connectToPeer(push, peer, "pull");
        for (const message of messages) await push.send(message);
        push.close();
        const received = await peer.receiveMany("pull", COUNT);
        assert.equal(received.digest, digestMessages(messages));
      } finally {
        push.close();
        await peer.stop();
      }
    });
  }
});

/** A child running a close_then_exit.ts scenario on this runtime, watched line by line. */
class Child {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines = new Map<string, number>();
  readonly #waiting = new Map<string, () => void>();
  readonly exited: Promise<{ code: number | null; signal: string | null; at: number }>;
  #stderr = "";
  #stdout = "";
  #ended = false;

  constructor(args: readonly string[]) {
    const runtime = "Deno" in globalThis ? ["run", "-A", SCRIPT] : [SCRIPT];
    this.#child = spawn(process.execPath, [...runtime, ...args], { stdio: "pipe" });
    this.#child.stdout.setEncoding("utf8");
    this.#child.stderr.setEncoding("utf8");
    this.#child.stdout.on("data", (chunk: string) => {
      this.#stdout += chunk;
      for (const line of this.#stdout.split("\n").slice(0, -1)) {
        if (this.#lines.has(line)) continue;
        this.#lines.set(line, performance.now());
        this.#waiting.get(line)?.();
      }
    });
    this.#child.stderr.on("data", (chunk: string) => this.#stderr += chunk);
    // Writing to a child that already ended raises EPIPE here; its exit tells the story.
    this.#child.stdin.on("error", () => {});
    // The child must end by itself; the kill only keeps a failure from hanging the suite.
    const guard = setTimeout(() => this.#child.kill("SIGKILL"), 30_000);
    this.exited = new Promise((resolve) =>
      this.#child.once("close", (code, signal) => {
        clearTimeout(guard);
        this.#ended = true;
        for (const wake of this.#waiting.values()) wake();
        resolve({ code, signal, at: performance.now() });
      })
    );
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** Resolves with when `line` was printed; rejects if the child ends without printing it. */
  async line(line: string): Promise<number> {
    if (!this.#lines.has(line) && !this.#ended) {
      await new Promise<void>((resolve) => this.#waiting.set(line, resolve));
    }
    const at = this.#lines.get(line);
    if (at === undefined) throw new Error(`the child ended without "${line}": ${this.#stderr}`);
    return at;
  }

  /** Ends the child's stdin, which the `stalled` scenario waits for. */
  go(): void {
    this.#child.stdin.end();
  }

  /** Kills the child if it is still running, and waits for it. */
  async stop(): Promise<void> {
    this.#child.kill("SIGKILL");
    await this.exited;
  }
}

/** Milliseconds from the child's `closed` to its exit; asserts it exited cleanly. */
async function closedToExit(child: Child): Promise<number> {
  const closedAt = await child.line("closed");
  const { code, signal, at } = await child.exited;
  assert.deepEqual([code, signal], [0, null], `stderr: ${child.stderr}`);
  return at - closedAt;
}

describe("a process whose sockets are all closed exits by itself", () => {
  for (const linger of [-1, 5000]) {
    test(`messages queued for a tcp peer never reached: the process exits at once (linger ${linger})`, async () => {
      const child = new Child(["unreachable-tcp", String(linger)]);
      try {
        const lingered = await closedToExit(child);
        assert.ok(lingered < PROMPT_MS, `exited ${Math.round(lingered)} ms after closing`);
      } finally {
        await child.stop();
      }
    });
  }

  /**
   * Runs the `stalled` scenario against a Pull in a peer process frozen with SIGSTOP: the child
   * connects, the peer is frozen, then the child sends 16 MiB and closes with `linger`.
   * `whileClosing` runs once the child printed `closed`, the peer still frozen.
   */
  async function stalled(
    linger: number,
    whileClosing: (peer: LibzmqPeer, child: Child) => Promise<void>,
  ): Promise<void> {
    const peer = await startMonocoquePeer({ runtime: peerRuntime() });
    let child: Child | undefined;
    let frozen = false;
    try {
      await peer.socket("pull", "Pull");
      const endpoint = await peer.bind("pull", "tcp://127.0.0.1:0");
      child = new Child(["stalled", endpoint, String(linger), String(STALLED_COUNT)]);
      await child.line("ready");
      process.kill(peer.pid, "SIGSTOP");
      frozen = true;
      child.go();
      await child.line("closed");
      await whileClosing(peer, child);
    } finally {
      if (frozen) process.kill(peer.pid, "SIGCONT");
      await child?.stop();
      await peer.stop();
    }
  }

  const all = Array.from({ length: STALLED_COUNT }, (_, i) => [numberedMessage(i, STALLED_SIZE)]);

  test("a peer that stopped reading: close() keeps flushing for the linger, then exits", async () => {
    const LINGER = 1000;
    await stalled(LINGER, async (_peer, child) => {
      const lingered = await closedToExit(child);
      // The child's own clock is not ours: "closed" reaches us a little after it was printed,
      // so the lower bound is half the linger, enough to tell a wait from none.
      assert.ok(lingered >= LINGER / 2, `exited ${Math.round(lingered)} ms after closing`);
      assert.ok(lingered < LINGER + PROMPT_MS, `exited ${Math.round(lingered)} ms after closing`);
    });
  });

  test("a peer that resumes within the linger gets every message, and the process exits then", async () => {
    const LINGER = 20_000;
    await stalled(LINGER, async (peer, child) => {
      process.kill(peer.pid, "SIGCONT");
      const received = await peer.receiveMany("pull", STALLED_COUNT);
      assert.equal(received.digest, digestMessages(all));
      const lingered = await closedToExit(child);
      assert.ok(lingered < LINGER, `exited ${Math.round(lingered)} ms after closing`);
    });
  });

  test("linger 0: close() drops the backlog at once", async () => {
    await stalled(0, async (peer, child) => {
      const lingered = await closedToExit(child);
      assert.ok(lingered < PROMPT_MS, `exited ${Math.round(lingered)} ms after closing`);
      process.kill(peer.pid, "SIGCONT");
      // Proving that something does NOT arrive takes a bounded wait: what the kernel held may
      // come, the rest of the 16 MiB was dropped with the process.
      await assert.rejects(peer.receiveMany("pull", STALLED_COUNT, { timeout: 1000 }), {
        code: "EAGAIN",
      });
    });
  });
});
