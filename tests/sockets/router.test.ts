// Router options (mandatory, handover, probeRouter), the Dealer's probeRouter, drops at the
// high-water mark and binary routing ids, with our sockets on both ends.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ZmqError } from "../../core/errors.ts";
import { Dealer } from "../../sockets/dealer.ts";
import type { Pipe } from "../../sockets/pipe.ts";
import { Router } from "../../sockets/router.ts";
import {
  Arrivals,
  bindAddress,
  connectReady,
  type LocalTransport,
  text,
  texts,
} from "../fixtures/sockets.ts";

/** The code of a ZmqError (fails the test for anything else). */
function codeOf(error: unknown): string {
  assert.ok(error instanceof ZmqError, `expected a ZmqError, got ${String(error)}`);
  return error.code;
}

/** Sends with `sendTimeout` 0 until EAGAIN; resolves with how many sends succeeded. */
async function sendUntilFull(send: (i: number) => Promise<void>): Promise<number> {
  for (let sent = 0;; sent++) {
    assert.ok(sent < 1000, "the queues never filled: messages are being dropped");
    try {
      await send(sent);
    } catch (error) {
      assert.equal(codeOf(error), "EAGAIN");
      return sent;
    }
  }
}

const BOTH: LocalTransport[] = ["inproc", "tcp"];

/** A Router that counts messages arriving at its queues, to know one is in before acting. */
class ObservedRouter extends Router {
  readonly arrivals: Arrivals = new Arrivals();
  protected override xReadable(pipe: Pipe): void {
    super.xReadable(pipe);
    this.arrivals.add();
  }
}

describe("Router mandatory (ZMQ_ROUTER_MANDATORY)", () => {
  test("a send to an unknown routing id rejects with EHOSTUNREACH; without mandatory it is dropped", async () => {
    const router = new Router({ mandatory: true });
    const lenient = new Router();
    try {
      await assert.rejects(router.send(["nobody", "lost"]), (error) => {
        assert.equal(codeOf(error), "EHOSTUNREACH");
        assert.match((error as Error).message, /"nobody"/);
        return true;
      });
      await assert.rejects(router.send([new Uint8Array([0, 0xff]), "lost"]), /0x00ff/);
      await lenient.send(["nobody", "dropped"]);
    } finally {
      router.close();
      lenient.close();
    }
  });

  for (const transport of BOTH) {
    test(`a known peer is reached; at its high-water mark the send waits, and none is lost (${transport})`, async () => {
      const router = new Router({ mandatory: true, sendHighWaterMark: 2, sendTimeout: 0 });
      const dealer = new Dealer({ routingId: "d", receiveHighWaterMark: 3 });
      try {
        await router.bind(bindAddress(transport, "mandatory-hwm"));
        await connectReady(router, dealer);
        await router.send(["d", "first"]);
        assert.deepEqual(texts(await dealer.receive()), ["first"]);
        if (transport === "inproc") {
          // Both ends' marks apply in-process: 2 queued at the Router, 3 at the Dealer.
          const sent = await sendUntilFull((i) => router.send(["d", String(i)]));
          assert.equal(sent, 5);
          router.sendTimeout = -1;
          const waiting = router.send(["d", "after"]);
          for (let i = 0; i < sent; i++) {
            assert.deepEqual(texts(await dealer.receive()), [String(i)]);
          }
          await waiting;
          assert.deepEqual(texts(await dealer.receive()), ["after"]);
        } else {
          // Over tcp the socket buffers absorb a lot: fill until EAGAIN, then read everything back.
          const big = new Uint8Array(256 * 1024);
          const sent = await sendUntilFull((i) => router.send(["d", String(i), big]));
          router.sendTimeout = -1;
          const waiting = router.send(["d", "after"]);
          for (let i = 0; i < sent; i++) {
            assert.equal(text((await dealer.receive())[0]), String(i));
          }
          await waiting;
          assert.deepEqual(texts(await dealer.receive()), ["after"]);
        }
      } finally {
        router.close();
        dealer.close();
      }
    });
  }

  test("a send waiting for a full peer rejects with EHOSTUNREACH when the peer leaves", async () => {
    const router = new Router({ mandatory: true, sendHighWaterMark: 1 });
    const dealer = new Dealer({ routingId: "d", receiveHighWaterMark: 1 });
    try {
      await router.bind(bindAddress("inproc", "mandatory-gone"));
      await connectReady(router, dealer);
      await router.send(["d", "0"]);
      await router.send(["d", "1"]);
      const waiting = router.send(["d", "2"]);
      dealer.close();
      await assert.rejects(waiting, (error) => codeOf(error) === "EHOSTUNREACH");
    } finally {
      router.close();
      dealer.close();
    }
  });

  test("options: constructor and property, booleans only", () => {
    const router = new Router({ mandatory: true, handover: true, probeRouter: true });
    try {
      assert.equal(router.mandatory, true);
      assert.equal(router.handover, true);
      assert.equal(router.probeRouter, true);
      router.mandatory = false;
      assert.equal(router.mandatory, false);
      assert.throws(() => (router.handover = 1 as unknown as boolean), TypeError);
      assert.throws(() => new Router({ mandatory: "yes" as unknown as boolean }), TypeError);
      assert.equal(new Router().handover, false);
    } finally {
      router.close();
    }
  });
});

describe("Router without mandatory drops for a full peer", () => {
  test("exactly the messages past both high-water marks are dropped (inproc)", async () => {
    const router = new Router({ sendHighWaterMark: 2 });
    const dealer = new Dealer({ routingId: "d", receiveHighWaterMark: 3 });
    try {
      await router.bind(bindAddress("inproc", "router-drop"));
      await connectReady(router, dealer);
      for (let i = 0; i < 20; i++) await router.send(["d", String(i)]);
      for (let i = 0; i < 5; i++) assert.deepEqual(texts(await dealer.receive()), [String(i)]);
      // Sent once the queues drained: the next message proves 5..19 were dropped, not delayed.
      await router.send(["d", "marker"]);
      assert.deepEqual(texts(await dealer.receive()), ["marker"]);
    } finally {
      router.close();
      dealer.close();
    }
  });
});

describe("Router handover (ZMQ_ROUTER_HANDOVER)", () => {
  test("without handover a second peer with the same id is never routed to or heard (inproc)", async () => {
    const router = new Router({ receiveTimeout: 5000 });
    const first = new Dealer({ routingId: "same", receiveTimeout: 0 });
    const second = new Dealer({ routingId: "same", receiveTimeout: 0 });
    try {
      await router.bind(bindAddress("inproc", "no-handover"));
      await connectReady(router, first);
      await connectReady(router, second);
      // inproc delivers at once: the newcomer's message is queued ahead of the first peer's.
      await second.send("from second");
      await first.send("from first");
      assert.deepEqual(texts(await router.receive()), ["same", "from first"]);
      await router.send(["same", "reply"]);
      assert.deepEqual(texts(await first.receive()), ["reply"]);
      await assert.rejects(second.receive(), (error) => codeOf(error) === "EAGAIN");
    } finally {
      router.close();
      first.close();
      second.close();
    }
  });

  for (const transport of BOTH) {
    test(`the newcomer takes the id over; the old peer's unread messages are dropped (${transport})`, async () => {
      const router = new ObservedRouter({ handover: true });
      // The old peer must not reconnect and take the id back.
      const old = new Dealer({ routingId: "same", reconnectInterval: -1 });
      const newcomer = new Dealer({ routingId: "same" });
      try {
        await router.bind(bindAddress(transport, "handover"));
        await connectReady(router, old);
        await old.send("read");
        assert.deepEqual(texts(await router.receive()), ["same", "read"]);
        await old.send("unread");
        // Both are in the Router's queue before the newcomer arrives.
        await router.arrivals.wait(2);
        const closed = transport === "tcp" ? old.events.next("disconnect") : undefined;
        await connectReady(router, newcomer);
        // As libzmq does, the old connection is closed.
        await closed;
        await newcomer.send("from newcomer");
        assert.deepEqual(texts(await router.receive()), ["same", "from newcomer"]);
        await router.send(["same", "to newcomer"]);
        assert.deepEqual(texts(await newcomer.receive()), ["to newcomer"]);
      } finally {
        router.close();
        old.close();
        newcomer.close();
      }
    });
  }
});

describe("binary routing ids", () => {
  const zeroInside = new Uint8Array([0x41, 0x00, 0x42, 0x00]);
  const longest = Uint8Array.from({ length: 255 }, (_, i) => 255 - i);

  for (const transport of BOTH) {
    test(`ids with 00 inside and of 255 bytes round trip (${transport})`, async () => {
      const router = new Router();
      const dealers = [
        new Dealer({ routingId: zeroInside }),
        new Dealer({ routingId: longest }),
        new Dealer({ routingId: new Uint8Array([0x41, 0x00]) }),
      ];
      try {
        await router.bind(bindAddress(transport, "binary-ids"));
        for (const dealer of dealers) await connectReady(router, dealer);
        for (const [i, dealer] of dealers.entries()) {
          await dealer.send(`from ${i}`);
          const [id, body] = await router.receive();
          assert.deepEqual(new Uint8Array(id), dealer.routingId);
          assert.equal(text(body), `from ${i}`);
        }
        // Ids that differ only after a 00 byte reach their own peer.
        for (const [i, dealer] of dealers.entries()) {
          await router.send([dealer.routingId!, `to ${i}`]);
        }
        for (const [i, dealer] of dealers.entries()) {
          assert.deepEqual(texts(await dealer.receive()), [`to ${i}`]);
        }
      } finally {
        router.close();
        for (const dealer of dealers) dealer.close();
      }
    });
  }

  test("a binary routing id given on connect names the peer", async () => {
    const router = new Router();
    const dealer = new Dealer();
    try {
      await dealer.bind(bindAddress("tcp", "binary-connect-id"));
      const ready = router.events.next("handshake");
      router.connect(dealer.lastEndpoint!, { routingId: zeroInside });
      await ready;
      await router.send([zeroInside, "hello"]);
      assert.deepEqual(texts(await dealer.receive()), ["hello"]);
      await dealer.send("back");
      const [id, body] = await router.receive();
      assert.deepEqual(new Uint8Array(id), zeroInside);
      assert.equal(text(body), "back");
    } finally {
      router.close();
      dealer.close();
    }
  });
});

describe("probeRouter (ZMQ_PROBE_ROUTER)", () => {
  for (const transport of BOTH) {
    test(`a Dealer's probe reaches the Router before what it queued (${transport})`, async () => {
      const router = new Router();
      const dealer = new Dealer({ routingId: "prober", probeRouter: true });
      try {
        await router.bind(bindAddress(transport, "probe-dealer"));
        dealer.connect(router.lastEndpoint!);
        await dealer.send("queued");
        assert.deepEqual(texts(await router.receive()), ["prober", ""]);
        assert.deepEqual(texts(await router.receive()), ["prober", "queued"]);
      } finally {
        router.close();
        dealer.close();
      }
    });

    test(`a Router's probe goes to every new peer, accepted or connected (${transport})`, async () => {
      const bound = new Router({ routingId: "bound", probeRouter: true });
      const dialing = new Router({ routingId: "dialing", probeRouter: true });
      const dealer = new Dealer({ routingId: "dealer" });
      try {
        await bound.bind(bindAddress(transport, "probe-router"));
        dialing.connect(bound.lastEndpoint!);
        assert.deepEqual(texts(await bound.receive()), ["dialing", ""]);
        assert.deepEqual(texts(await dialing.receive()), ["bound", ""]);
        dealer.connect(bound.lastEndpoint!);
        assert.deepEqual(texts(await dealer.receive()), [""]);
      } finally {
        bound.close();
        dialing.close();
        dealer.close();
      }
    });
  }

  test("a connect()ed peer is probed again on every new connection", async () => {
    const address = bindAddress("inproc", "probe-again");
    const first = new Router();
    const second = new Router();
    const dealer = new Dealer({ routingId: "prober", probeRouter: true });
    try {
      await first.bind(address);
      dealer.connect(address);
      assert.deepEqual(texts(await first.receive()), ["prober", ""]);
      first.close();
      // The inproc dialer links again as soon as the name is bound anew.
      await second.bind(address);
      assert.deepEqual(texts(await second.receive()), ["prober", ""]);
    } finally {
      first.close();
      second.close();
      dealer.close();
    }
  });

  test("Dealer option: constructor and property, booleans only", () => {
    const dealer = new Dealer({ probeRouter: true });
    try {
      assert.equal(dealer.probeRouter, true);
      dealer.probeRouter = false;
      assert.equal(dealer.probeRouter, false);
      assert.throws(() => (dealer.probeRouter = "no" as unknown as boolean), TypeError);
    } finally {
      dealer.close();
    }
  });
});
