// The end of a socket's life: close() and ZMQ_LINGER (queued messages flushed or dropped),
// `await using`, what close() does to pending calls and events, and a process whose sockets are
// all closed exiting by itself.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
// Loads the runtime's tcp/ipc transport on first bind or connect.
import "../../mod.ts";
import { Dealer } from "../../sockets/dealer.ts";
import { Router } from "../../sockets/router.ts";
import type { SocketEventType } from "../../sockets/socket_events.ts";

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
let names = 0;
const inproc = (): string => `inproc://lifecycle-${names++}`;

/** Every message the Router has, without waiting: the receive queue read to the end. */
async function drain(router: Router): Promise<string[]> {
  const bodies: string[] = [];
  router.receiveTimeout = 0;
  for (;;) {
    try {
      bodies.push(text((await router.receive())[1]));
    } catch (error) {
      assert.equal((error as { code?: string }).code, "EAGAIN");
      return bodies;
    }
  }
}

const numbers = (count: number): string[] => Array.from({ length: count }, (_, i) => String(i));

describe("linger over tcp", () => {
  // More than one engine batch (256 KiB): when close() is called in the same turn as the sends,
  // most of these are still in the Dealer's pipe, not yet handed to the connection.
  const COUNT = 3000;
  const payload = (i: number): string => String(i).padEnd(1024, ".");

  for (const linger of [-1, 5000]) {
    test(`linger ${linger}: messages queued for a connected peer are all delivered after close()`, async () => {
      const router = new Router();
      const dealer = new Dealer({ linger, sendHighWaterMark: 0 });
      try {
        await router.bind("tcp://127.0.0.1:0");
        const ready = dealer.events.next("handshake");
        dealer.connect(router.lastEndpoint!);
        await ready;
        for (let i = 0; i < COUNT; i++) await dealer.send(payload(i));
        dealer.close();
        for (let i = 0; i < COUNT; i++) {
          assert.equal(text((await router.receive())[1]).replace(/\.+$/, ""), String(i));
        }
      } finally {
        dealer.close();
        router.close();
      }
    });
  }

  test("linger 0: what is still queued at close() is dropped", async () => {
    const router = new Router();
    const dealer = new Dealer({ linger: 0, sendHighWaterMark: 0 });
    try {
      await router.bind("tcp://127.0.0.1:0");
      const ready = dealer.events.next("handshake");
      dealer.connect(router.lastEndpoint!);
      await ready;
      const gone = router.events.next("disconnect");
      for (let i = 0; i < COUNT; i++) await dealer.send(payload(i));
      dealer.close();
      // Once the Router saw the connection end, it has read all it will ever get.
      await gone;
      const bodies = (await drain(router)).map((body) => body.replace(/\.+$/, ""));
      assert.ok(bodies.length < COUNT, `all ${COUNT} messages arrived despite linger 0`);
      assert.deepEqual(bodies, numbers(bodies.length));
    } finally {
      dealer.close();
      router.close();
    }
  });
});

describe("linger over inproc", () => {
  // Router receive mark 1 and Dealer send mark 10: one message in the Router's queue, ten in the
  // Dealer's when close() is called.
  for (const [linger, expected] of [[-1, 11], [1000, 11], [0, 1]]) {
    test(`linger ${linger}: the peer receives ${expected} of 11 messages`, async () => {
      const address = inproc();
      const router = new Router({ receiveHighWaterMark: 1 });
      const dealer = new Dealer({ linger, sendHighWaterMark: 10, sendTimeout: 0 });
      try {
        await router.bind(address);
        dealer.connect(address);
        for (let i = 0; i < 11; i++) await dealer.send(String(i));
        await assert.rejects(dealer.send("no room"), { code: "EAGAIN" });
        dealer.close();
        assert.deepEqual(await drain(router), numbers(expected));
      } finally {
        dealer.close();
        router.close();
      }
    });
  }
});

describe("close()", () => {
  test("`await using` closes the socket at the end of the block, flushing what it queued", async () => {
    const router = new Router();
    try {
      await router.bind(inproc());
      let disposed: Dealer;
      {
        await using dealer = new Dealer({ sendHighWaterMark: 1000 });
        disposed = dealer;
        dealer.connect(router.lastEndpoint!);
        for (let i = 0; i < 3; i++) await dealer.send(String(i));
        assert.equal(dealer.closed, false);
      }
      assert.equal(disposed.closed, true);
      assert.deepEqual(await drain(router), ["0", "1", "2"]);
    } finally {
      router.close();
    }
  });

  test("pending sends and receives reject with ENOTSOCK, later calls too; close() is idempotent", async () => {
    const address = inproc();
    const router = new Router({ receiveHighWaterMark: 1 });
    const dealer = new Dealer({ sendHighWaterMark: 1 });
    try {
      await router.bind(address);
      dealer.connect(address);
      await dealer.send("1");
      await dealer.send("2");
      const send = dealer.send("waits for room");
      const receive = dealer.receive();
      dealer.close();
      dealer.close();
      await assert.rejects(send, { code: "ENOTSOCK" });
      await assert.rejects(receive, { code: "ENOTSOCK" });
      await assert.rejects(dealer.send("late"), { code: "ENOTSOCK" });
      await assert.rejects(dealer.receive(), { code: "ENOTSOCK" });
      await assert.rejects(dealer.bind(inproc()), { code: "ENOTSOCK" });
      assert.throws(() => dealer.connect(inproc()), { code: "ENOTSOCK" });
      assert.equal(dealer.closed, true);
    } finally {
      dealer.close();
      router.close();
    }
  });

  test("a message iterator ends (without an error) when the socket closes", async () => {
    const address = inproc();
    const router = new Router();
    const dealer = new Dealer();
    try {
      await router.bind(address);
      dealer.connect(address);
      await dealer.send("one");
      const seen: string[] = [];
      const loop = (async () => {
        for await (const [, body] of router) {
          seen.push(text(body));
          router.close();
        }
      })();
      await loop;
      assert.deepEqual(seen, ["one"]);
    } finally {
      dealer.close();
      router.close();
    }
  });

  test("close() reports `close` for each bound endpoint, then `end` last", async () => {
    const router = new Router();
    const seen: SocketEventType[] = [];
    const ended = router.events.next("end");
    for (const type of ["close", "end"] as const) router.events.on(type, (e) => seen.push(e.type));
    try {
      await router.bind("tcp://127.0.0.1:0");
      await router.bind(inproc());
      router.close();
      await ended;
      assert.deepEqual(seen, ["close", "close", "end"]);
    } finally {
      router.close();
    }
  });
});

describe("a process whose sockets are all closed", () => {
  const script = fileURLToPath(new URL("../fixtures/close_then_exit.ts", import.meta.url));
  /** This runtime, running a script. */
  const command = (): string[] => {
    if ("Deno" in globalThis) return [process.execPath, "run", "-A", script];
    return [process.execPath, script];
  };
  /** Milliseconds from the last close() to the exit that count as prompt. */
  const PROMPT_MS = 2000;

  for (const scenario of ["tcp", "ipc", "inproc", "unreachable", "backlog"]) {
    test(`exits by itself, promptly, with code 0 (${scenario})`, async () => {
      const [bin, ...args] = command();
      const child = spawn(bin, [...args, scenario], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      let closedAt: number | undefined;
      child.stdout.setEncoding("utf8");
      child.stderr.setEncoding("utf8");
      child.stdout.on("data", (chunk: string) => {
        stdout += chunk;
        if (closedAt === undefined && stdout.includes("closed\n")) closedAt = performance.now();
      });
      child.stderr.on("data", (chunk: string) => stderr += chunk);
      // The child must end by itself; the kill only keeps a failure from hanging the suite.
      const guard = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
        child.once("close", (code, signal) => resolve([code, signal]))
      );
      clearTimeout(guard);
      const exitedAt = performance.now();
      assert.equal(stdout, "closed\n", `stderr: ${stderr}`);
      assert.deepEqual([code, signal], [0, null], `stderr: ${stderr}`);
      const lingered = exitedAt - closedAt!;
      assert.ok(lingered < PROMPT_MS, `exited ${Math.round(lingered)} ms after closing`);
    });
  }
});
