// Queues and waiting, shared by every socket type through the base: high-water marks counted in
// messages, send() that resolves once queued and waits (in order) when full, timeouts,
// AbortSignal, messages queued before the peer exists, and ZMQ_IMMEDIATE.
// (Exact inproc counts and the Publisher's drops are in inproc.test.ts.)
import assert from "node:assert/strict";
import { describe, test } from "node:test";
// Loads the runtime's tcp/ipc transport on first bind or connect.
import "../../mod.ts";
import { ZmqError } from "../../core/errors.ts";
import { Dealer, type DealerOptions } from "../../sockets/dealer.ts";
import type { FrameLike } from "../../sockets/message.ts";
import { Publisher } from "../../sockets/publisher.ts";
import { Router, type RouterOptions } from "../../sockets/router.ts";
import { Subscriber } from "../../sockets/subscriber.ts";
import { ipcAddress } from "../fixtures/libzmq.ts";

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
let names = 0;
const inproc = (): string => `inproc://queues-${names++}`;

/** The code of a ZmqError (fails the test for anything else). */
function codeOf(error: unknown): string {
  assert.ok(error instanceof ZmqError, `expected a ZmqError, got ${String(error)}`);
  return error.code;
}

/**
 * Sends `make(i)` with the socket's sendTimeout until a send rejects with EAGAIN, at most
 * `limit` times; resolves with how many were queued.
 */
async function sendUntilFull(
  dealer: Dealer,
  make: (i: number) => FrameLike | FrameLike[],
  limit: number,
): Promise<number> {
  for (let sent = 0; sent < limit; sent++) {
    try {
      await dealer.send(make(sent));
    } catch (error) {
      assert.equal(codeOf(error), "EAGAIN");
      return sent;
    }
  }
  return limit;
}

/** Resolves with "settled" if `promise` settles before the current macrotask queue runs out. */
async function settledNow(promise: Promise<unknown>): Promise<"settled" | "pending"> {
  const settled = promise.then(() => "settled" as const, () => "settled" as const);
  const later = new Promise<"pending">((resolve) => setTimeout(() => resolve("pending"), 0));
  return await Promise.race([settled, later]);
}

/**
 * A Router bound to a fresh inproc name and a Dealer connected to it (inproc applies both
 * high-water marks exactly and delivers within send()); both closed after `body`.
 */
async function linked(
  dealerOptions: DealerOptions,
  routerOptions: RouterOptions,
  body: (dealer: Dealer, router: Router) => Promise<void>,
): Promise<void> {
  const dealer = new Dealer(dealerOptions);
  const router = new Router(routerOptions);
  try {
    const address = inproc();
    await router.bind(address);
    dealer.connect(address);
    await body(dealer, router);
  } finally {
    dealer.close();
    router.close();
  }
}

/** Milliseconds since `start`. */
const since = (start: number): number => performance.now() - start;

describe("high-water marks", () => {
  for (const hwm of [1, 5]) {
    test(`a connect()ed pipe queues exactly sendHighWaterMark=${hwm} messages before its peer exists; multipart counts once`, async () => {
      const address = ipcAddress("queues-hwm");
      const dealer = new Dealer({ sendHighWaterMark: hwm, sendTimeout: 0, reconnectInterval: 10 });
      const router = new Router();
      try {
        dealer.connect(address);
        const queued = await sendUntilFull(dealer, (i) => [`a${i}`, "", `c${i}`], 100);
        assert.equal(queued, hwm);
        await router.bind(address);
        for (let i = 0; i < hwm; i++) {
          const [, ...frames] = await router.receive();
          assert.deepEqual(frames.map(text), [`a${i}`, "", `c${i}`]);
        }
      } finally {
        dealer.close();
        router.close();
      }
    });
  }

  test("a Publisher, unlike a Dealer, drops what it sends before its connect()ed peer exists", async () => {
    const address = inproc();
    const publisher = new Publisher({ sendTimeout: 0 });
    // inproc delivers within send(): nothing to wait for.
    const subscriber = new Subscriber({ receiveTimeout: 0 });
    try {
      publisher.connect(address);
      await publisher.send("early");
      subscriber.subscribe();
      await subscriber.bind(address);
      await publisher.send("late");
      assert.equal(text((await subscriber.receive())[0]), "late");
      await assert.rejects(subscriber.receive(), { code: "EAGAIN" });
    } finally {
      publisher.close();
      subscriber.close();
    }
  });

  test("a sendHighWaterMark of 0 is no limit", async () => {
    const dealer = new Dealer({ sendHighWaterMark: 0, sendTimeout: 0 });
    try {
      dealer.connect(ipcAddress("queues-nolimit"));
      assert.equal(await sendUntilFull(dealer, (i) => i, 20_000), 20_000);
    } finally {
      dealer.close();
    }
  });

  test("over tcp, a Router that stops reading stops reading the connection: the Dealer's sends wait, memory stays bounded, nothing is lost", async () => {
    const size = 16 * 1024;
    // Loopback buffers are autotuned up to tcp_rmem + tcp_wmem max (32 + 4 MiB by default on
    // Linux), plus one 256 KiB engine batch per side: more than this means reading never paused.
    const bound = (64 * 1024 * 1024) / size;
    const router = new Router({ receiveHighWaterMark: 10 });
    const dealer = new Dealer({ sendHighWaterMark: 10, sendTimeout: 200 });
    try {
      await router.bind("tcp://127.0.0.1:0");
      const ready = dealer.events.next("handshake");
      dealer.connect(router.lastEndpoint!);
      await ready;
      const payload = (i: number): Uint8Array => {
        const bytes = new Uint8Array(size);
        new DataView(bytes.buffer).setUint32(0, i);
        return bytes;
      };
      const sent = await sendUntilFull(dealer, payload, bound + 1);
      assert.ok(sent >= 20, `only ${sent} messages went before send waited`);
      assert.ok(sent <= bound, `${sent} messages of ${size} B went without send waiting`);
      // Stuck, not slow: another 200 ms brings no room either.
      await assert.rejects(dealer.send(payload(sent)), { code: "EAGAIN" });
      for (let i = 0; i < sent; i++) {
        const [, body] = await router.receive();
        assert.equal(new DataView(body.buffer, body.byteOffset).getUint32(0), i);
      }
      await dealer.send(payload(sent));
      const [, body] = await router.receive();
      assert.equal(new DataView(body.buffer, body.byteOffset).getUint32(0), sent);
    } finally {
      dealer.close();
      router.close();
    }
  });
});

describe("send", () => {
  test("resolves once queued and waits when full; sends in flight resolve and arrive in order (no EBUSY)", async () => {
    const address = ipcAddress("queues-order");
    const dealer = new Dealer({ sendHighWaterMark: 2, reconnectInterval: 10 });
    const router = new Router();
    try {
      dealer.connect(address);
      const resolved: number[] = [];
      const sends = Array.from(
        { length: 10 },
        (_, i) => dealer.send(i).then(() => resolved.push(i)),
      );
      // No peer exists: the first two are queued in the pipe, the others wait for room.
      await Promise.all(sends.slice(0, 2));
      assert.equal(await settledNow(sends[2]), "pending");
      assert.deepEqual(resolved, [0, 1]);
      await router.bind(address);
      await Promise.all(sends);
      assert.deepEqual(resolved, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      for (let i = 0; i < 10; i++) assert.equal(text((await router.receive())[1]), String(i));
    } finally {
      dealer.close();
      router.close();
    }
  });

  test("sendTimeout 0 rejects at once with EAGAIN; N rejects after about N ms; -1 waits for room", async () => {
    await linked(
      { sendHighWaterMark: 1, sendTimeout: 0 },
      { receiveHighWaterMark: 1 },
      async (dealer, router) => {
        await dealer.send("in the router's queue");
        await dealer.send("in the dealer's queue");
        const now = dealer.send("no room");
        assert.equal(await settledNow(now), "settled");
        await assert.rejects(now, (error) => codeOf(error) === "EAGAIN");
        dealer.sendTimeout = 50;
        const start = performance.now();
        await assert.rejects(dealer.send("still no room"), (error) => codeOf(error) === "EAGAIN");
        const waited = since(start);
        assert.ok(waited >= 49 && waited < 1000, `rejected after ${waited} ms`);
        dealer.sendTimeout = -1;
        const waiting = dealer.send("room comes");
        assert.equal(await settledNow(waiting), "pending");
        await router.receive();
        await waiting;
        const bodies = [];
        for (let i = 0; i < 2; i++) bodies.push(text((await router.receive())[1]));
        assert.deepEqual(bodies, ["in the dealer's queue", "room comes"]);
      },
    );
  });

  test("receiveTimeout 0 rejects at once with EAGAIN; N rejects after about N ms", async () => {
    const dealer = new Dealer({ receiveTimeout: 0 });
    try {
      const now = dealer.receive();
      assert.equal(await settledNow(now), "settled");
      await assert.rejects(now, (error) => codeOf(error) === "EAGAIN");
      dealer.receiveTimeout = 50;
      const start = performance.now();
      await assert.rejects(dealer.receive(), (error) => codeOf(error) === "EAGAIN");
      const waited = since(start);
      assert.ok(waited >= 49 && waited < 1000, `rejected after ${waited} ms`);
    } finally {
      dealer.close();
    }
  });

  test("a send that timed out is never sent, and the sends after it go", async () => {
    await linked({ sendHighWaterMark: 1 }, { receiveHighWaterMark: 1 }, async (dealer, router) => {
      await dealer.send("1");
      await dealer.send("2");
      dealer.sendTimeout = 20;
      await assert.rejects(dealer.send("timed out"), { code: "EAGAIN" });
      dealer.sendTimeout = -1;
      const next = dealer.send("3");
      const bodies: string[] = [];
      for (let i = 0; i < 3; i++) bodies.push(text((await router.receive())[1]));
      await next;
      assert.deepEqual(bodies, ["1", "2", "3"]);
    });
  });
});

describe("AbortSignal", () => {
  test("an already aborted signal rejects at once with its reason; nothing is sent or taken", async () => {
    await linked({}, {}, async (dealer, router) => {
      const reason = new Error("aborted before the call");
      const signal = AbortSignal.abort(reason);
      // There is room to send and a message to receive: the signal still wins.
      const send = dealer.send("never sent", { signal });
      assert.equal(await settledNow(send), "settled");
      await assert.rejects(send, (error) => error === reason);
      await dealer.send("sent");
      const receive = router.receive({ signal });
      assert.equal(await settledNow(receive), "settled");
      await assert.rejects(receive, (error) => error === reason);
      assert.equal(text((await router.receive())[1]), "sent");
    });
  });

  test("aborting a waiting receive rejects it with the signal's reason; later receives still work", async () => {
    await linked({}, {}, async (dealer, router) => {
      const controller = new AbortController();
      const first = router.receive({ signal: controller.signal });
      const second = router.receive();
      const reason = { why: "any value is a reason" };
      controller.abort(reason);
      await assert.rejects(first, (error) => error === reason);
      await dealer.send("for the second");
      assert.equal(text((await second)[1]), "for the second");
    });
  });

  test("an aborted send among waiting sends is not sent and blocks none of the others", async () => {
    await linked({ sendHighWaterMark: 1 }, { receiveHighWaterMark: 1 }, async (dealer, router) => {
      await dealer.send("0");
      await dealer.send("1");
      const controller = new AbortController();
      const waiting = [
        dealer.send("2"),
        dealer.send("aborted", { signal: controller.signal }),
        dealer.send("3"),
        dealer.send("4"),
      ];
      const reason = new Error("changed my mind");
      controller.abort(reason);
      await assert.rejects(waiting[1], (error) => error === reason);
      const bodies: string[] = [];
      for (let i = 0; i < 5; i++) bodies.push(text((await router.receive())[1]));
      await Promise.all([waiting[0], waiting[2], waiting[3]]);
      assert.deepEqual(bodies, ["0", "1", "2", "3", "4"]);
      router.receiveTimeout = 0;
      await assert.rejects(router.receive(), { code: "EAGAIN" });
    });
  });

  test("AbortSignal.timeout() ends a wait with a TimeoutError", async () => {
    const dealer = new Dealer();
    try {
      const start = performance.now();
      await assert.rejects(
        dealer.receive({ signal: AbortSignal.timeout(30) }),
        (error) => (error as Error).name === "TimeoutError",
      );
      assert.ok(since(start) >= 25);
    } finally {
      dealer.close();
    }
  });
});

describe("ZMQ_IMMEDIATE", () => {
  test("without a connection there is no pipe: no room (EAGAIN at once), and a waiting send goes once connected", async () => {
    const address = ipcAddress("queues-immediate");
    const dealer = new Dealer({ immediate: true, sendTimeout: 0, reconnectInterval: 10 });
    const router = new Router();
    try {
      dealer.connect(address);
      await assert.rejects(dealer.send("no pipe yet"), { code: "EAGAIN" });
      dealer.sendTimeout = -1;
      const waiting = dealer.send("after the handshake");
      assert.equal(await settledNow(waiting), "pending");
      await router.bind(address);
      await waiting;
      assert.equal(text((await router.receive())[1]), "after the handshake");
    } finally {
      dealer.close();
      router.close();
    }
  });

  for (const immediate of [false, true]) {
    test(`immediate ${immediate}: a peer that went away ${immediate ? "gets nothing" : "still gets its share queued"}`, async () => {
      const staying = new Router();
      const leaving = new Router();
      const dealer = new Dealer({ immediate, reconnectInterval: 10_000 });
      try {
        for (const router of [staying, leaving]) {
          await router.bind("tcp://127.0.0.1:0");
          const ready = dealer.events.next("handshake");
          dealer.connect(router.lastEndpoint!);
          await ready;
        }
        const gone = dealer.events.next("disconnect");
        leaving.close();
        await gone;
        for (let i = 0; i < 10; i++) await dealer.send(String(i));
        const expected = immediate ? 10 : 5;
        const bodies: string[] = [];
        for (let i = 0; i < expected; i++) bodies.push(text((await staying.receive())[1]));
        assert.deepEqual(
          bodies,
          immediate
            ? ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
            : ["0", "2", "4", "6", "8"],
        );
        staying.receiveTimeout = 0;
        await assert.rejects(staying.receive(), { code: "EAGAIN" });
      } finally {
        dealer.close();
        staying.close();
        leaving.close();
      }
    });
  }
});
