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

  test("the high-water marks of both ends apply: sndhwm + rcvhwm messages, then send waits", async () => {
    const where = address();
    const router = new Router({ receiveHighWaterMark: 3 });
    const dealer = new Dealer({ sendHighWaterMark: 2, sendTimeout: 0 });
    try {
      await router.bind(where);
      dealer.connect(where);
      let sent = 0;
      for (;;) {
        try {
          await dealer.send(String(sent));
          sent++;
        } catch (error) {
          assert.equal((error as { code: string }).code, "EAGAIN");
          break;
        }
      }
      assert.equal(sent, 5);
      for (let i = 0; i < sent; i++) assert.equal(text((await router.receive())[1]), String(i));
    } finally {
      dealer.close();
      router.close();
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
