// The inproc transport: in-process, no copy, bind before or after connect.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Dealer, Publisher, Router, Subscriber } from "../../mod.ts";

let count = 0;
const address = (): string => `inproc://inproc-test-${count++}`;
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe("inproc", () => {
  test("the receiver gets the very objects sent, in both directions", async () => {
    const router = new Router();
    const dealer = new Dealer({ routingId: "d" });
    try {
      const where = address();
      await router.bind(where);
      dealer.connect(where);
      const payload = new Uint8Array([1, 2, 3]);
      await dealer.send(payload);
      const [id, received] = await router.receive();
      assert.equal(text(id), "d");
      assert.equal(received, payload);
      const reply = new Uint8Array([4]);
      await router.send([id, reply]);
      const [back] = await dealer.receive();
      assert.equal(back, reply);
    } finally {
      dealer.close();
      router.close();
    }
  });

  test("connect before bind: messages queue until the name is bound", async () => {
    const where = address();
    const dealer = new Dealer();
    const router = new Router();
    try {
      dealer.connect(where);
      await dealer.send("early");
      await router.bind(where);
      const [, body] = await router.receive();
      assert.equal(text(body), "early");
    } finally {
      dealer.close();
      router.close();
    }
  });

  test("binding a name twice is EADDRINUSE; it is free again once its socket closes", async () => {
    const where = address();
    const first = new Router();
    const second = new Router();
    try {
      await first.bind(where);
      await assert.rejects(second.bind(where), { code: "EADDRINUSE" });
      first.close();
      await second.bind(where);
    } finally {
      first.close();
      second.close();
    }
  });

  test("incompatible socket types are refused with a monitor event", async () => {
    const where = address();
    const router = new Router();
    const subscriber = new Subscriber();
    try {
      await router.bind(where);
      const refused = subscriber.events.next("handshake:error:protocol");
      subscriber.connect(where);
      assert.match((await refused).error!.message, /"ROUTER" cannot talk to SUB/);
    } finally {
      router.close();
      subscriber.close();
    }
  });

  test("subscriptions travel to the publisher, and filter", async () => {
    const where = address();
    const publisher = new Publisher();
    const subscriber = new Subscriber();
    try {
      await publisher.bind(where);
      subscriber.connect(where);
      subscriber.subscribe("a");
      // inproc is synchronous: the subscription is in place as soon as subscribe() returns.
      await publisher.send("b-no");
      await publisher.send("a-yes");
      assert.equal(text((await subscriber.receive())[0]), "a-yes");
    } finally {
      publisher.close();
      subscriber.close();
    }
  });

  // libzmq gives an inproc pipe sndhwm + the peer's rcvhwm, or no limit when either is 0.
  for (const [sndhwm, rcvhwm, room] of [[2, 3, 5], [1, 1, 2], [4, 0, Infinity], [0, 4, Infinity]]) {
    test(`a Dealer (sndhwm ${sndhwm}) holds ${room} messages for a Router (rcvhwm ${rcvhwm}) not reading, then send waits; multipart counts once`, async () => {
      const where = address();
      const router = new Router({ receiveHighWaterMark: rcvhwm });
      const dealer = new Dealer({ sendHighWaterMark: sndhwm, sendTimeout: 0 });
      const limit = 5000;
      try {
        await router.bind(where);
        dealer.connect(where);
        let sent = 0;
        for (; sent < limit; sent++) {
          try {
            await dealer.send([String(sent), "", "third frame"]);
          } catch (error) {
            assert.equal((error as { code: string }).code, "EAGAIN");
            break;
          }
        }
        assert.equal(sent, Math.min(room, limit));
        for (let i = 0; i < sent; i++) {
          const [, ...frames] = await router.receive();
          assert.deepEqual(frames.map(text), [String(i), "", "third frame"]);
        }
      } finally {
        dealer.close();
        router.close();
      }
    });
  }

  test("a Router drops what does not fit in sndhwm + the Dealer's rcvhwm (2 + 3 of 10)", async () => {
    const where = address();
    const router = new Router({ sendHighWaterMark: 2, receiveTimeout: 0 });
    const dealer = new Dealer({ routingId: "slow", receiveHighWaterMark: 3, receiveTimeout: 0 });
    try {
      await router.bind(where);
      dealer.connect(where);
      for (let i = 0; i < 10; i++) await router.send(["slow", String(i)]);
      const received: string[] = [];
      for (let i = 0; i < 5; i++) received.push(text((await dealer.receive())[0]));
      assert.deepEqual(received, ["0", "1", "2", "3", "4"]);
      await assert.rejects(dealer.receive(), { code: "EAGAIN" });
    } finally {
      dealer.close();
      router.close();
    }
  });

  test("a Publisher drops for a full Subscriber (2 + 3 of 10) and still serves the others", async () => {
    const where = address();
    const publisher = new Publisher({ sendHighWaterMark: 2 });
    const slow = new Subscriber({ receiveHighWaterMark: 3, receiveTimeout: 0 });
    const fast = new Subscriber({ receiveHighWaterMark: 3 });
    try {
      await publisher.bind(where);
      for (const subscriber of [slow, fast]) {
        subscriber.connect(where);
        subscriber.subscribe();
      }
      const fastGot: string[] = [];
      for (let i = 0; i < 10; i++) {
        // Resolves at once, full subscriber or not.
        await publisher.send(String(i));
        fastGot.push(text((await fast.receive())[0]));
      }
      assert.deepEqual(fastGot, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
      const slowGot: string[] = [];
      for (let i = 0; i < 5; i++) slowGot.push(text((await slow.receive())[0]));
      assert.deepEqual(slowGot, ["0", "1", "2", "3", "4"]);
      await assert.rejects(slow.receive(), { code: "EAGAIN" });
      await publisher.send("after");
      assert.equal(text((await slow.receive())[0]), "after");
    } finally {
      publisher.close();
      slow.close();
      fast.close();
    }
  });

  test("each receiver of a published message gets its own message array, with the very frames sent", async () => {
    const where = address();
    const publisher = new Publisher();
    const first = new Subscriber();
    const second = new Subscriber();
    try {
      await publisher.bind(where);
      for (const subscriber of [first, second]) {
        subscriber.connect(where);
        subscriber.subscribe("t");
      }
      const frames = [new Uint8Array([0x74]), new Uint8Array([1])];
      await publisher.send(frames);
      const one = await first.receive();
      one.pop();
      const two = await second.receive();
      assert.equal(two.length, 2);
      assert.equal(two[0], frames[0]);
      assert.equal(two[1], frames[1]);
    } finally {
      publisher.close();
      first.close();
      second.close();
    }
  });

  test("unsubscribe stops the messages of that topic; a topic subscribed twice needs two", async () => {
    const where = address();
    const publisher = new Publisher();
    const subscriber = new Subscriber({ receiveTimeout: 0 });
    try {
      await publisher.bind(where);
      subscriber.connect(where);
      subscriber.subscribe("a", "a", "b");
      subscriber.unsubscribe("a", "b");
      for (const topic of ["a1", "b1"]) await publisher.send(topic);
      assert.equal(text((await subscriber.receive())[0]), "a1");
      await assert.rejects(subscriber.receive(), { code: "EAGAIN" });
      subscriber.unsubscribe("a");
      await publisher.send("a2");
      await assert.rejects(subscriber.receive(), { code: "EAGAIN" });
    } finally {
      publisher.close();
      subscriber.close();
    }
  });

  test("subscriptions made before the Publisher binds, and before it binds anew, reach it", async () => {
    const where = address();
    // inproc delivers within send(): nothing to wait for.
    const subscriber = new Subscriber({ receiveTimeout: 0 });
    const first = new Publisher();
    const second = new Publisher();
    try {
      subscriber.connect(where);
      subscriber.subscribe("x");
      await first.bind(where);
      await first.send("x1");
      assert.equal(text((await subscriber.receive())[0]), "x1");
      first.close();
      await second.bind(where);
      await second.send("y2");
      await second.send("x2");
      assert.equal(text((await subscriber.receive())[0]), "x2");
    } finally {
      subscriber.close();
      first.close();
      second.close();
    }
  });

  test("after unbind() the name links new peers to whoever binds it next; the old link stays", async () => {
    const where = address();
    const first = new Router();
    const second = new Router();
    const early = new Dealer({ routingId: "early" });
    const late = new Dealer({ routingId: "late" });
    try {
      await first.bind(where);
      early.connect(where);
      await first.unbind(where);
      await second.bind(where);
      late.connect(where);
      await early.send("to the first");
      await late.send("to the second");
      assert.deepEqual((await first.receive()).map(text), ["early", "to the first"]);
      assert.deepEqual((await second.receive()).map(text), ["late", "to the second"]);
    } finally {
      early.close();
      late.close();
      first.close();
      second.close();
    }
  });
});

describe("timeouts and cancellation", () => {
  test("receive rejects with EAGAIN after receiveTimeout", async () => {
    const dealer = new Dealer({ receiveTimeout: 30 });
    try {
      const started = Date.now();
      await assert.rejects(dealer.receive(), { code: "EAGAIN" });
      assert.ok(Date.now() - started >= 25);
    } finally {
      dealer.close();
    }
  });

  test("an AbortSignal cancels a waiting receive with its reason", async () => {
    const dealer = new Dealer();
    try {
      const controller = new AbortController();
      const pending = dealer.receive({ signal: controller.signal });
      controller.abort(new Error("no longer needed"));
      await assert.rejects(pending, /no longer needed/);
    } finally {
      dealer.close();
    }
  });

  test("a send that timed out does not block the sends after it", async () => {
    const where = address();
    const router = new Router({ receiveHighWaterMark: 1 });
    const dealer = new Dealer({ sendHighWaterMark: 1 });
    try {
      await router.bind(where);
      dealer.connect(where);
      await dealer.send("1");
      await dealer.send("2");
      const controller = new AbortController();
      const third = dealer.send("3", { signal: controller.signal });
      controller.abort(new Error("gave up"));
      await assert.rejects(third, /gave up/);
      const fourth = dealer.send("4");
      const bodies: string[] = [];
      for (let i = 0; i < 3; i++) bodies.push(text((await router.receive())[1]));
      await fourth;
      assert.deepEqual(bodies, ["1", "2", "4"]);
    } finally {
      dealer.close();
      router.close();
    }
  });
});
