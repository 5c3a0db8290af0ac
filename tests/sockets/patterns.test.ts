// The first four socket types talking to each other, many peers at once.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { describe, test } from "node:test";
import { Dealer, Publisher, Router, Subscriber } from "../../mod.ts";

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe("Router and Dealers", () => {
  test("a Router serves many Dealers, each reply reaching its sender", async () => {
    const router = new Router();
    const dealers: Dealer[] = [];
    try {
      await router.bind("tcp://127.0.0.1:0");
      for (let i = 0; i < 5; i++) {
        const dealer = new Dealer({ routingId: `d${i}` });
        dealer.connect(router.lastEndpoint!);
        dealers.push(dealer);
      }
      await Promise.all(dealers.map((dealer, i) => dealer.send(`request ${i}`)));
      for (let n = 0; n < dealers.length; n++) {
        const [id, body] = await router.receive();
        assert.equal(`request ${text(id).slice(1)}`, text(body));
        await router.send([id, `reply to ${text(id)}`]);
      }
      for (let i = 0; i < dealers.length; i++) {
        const [reply] = await dealers[i].receive();
        assert.equal(text(reply), `reply to d${i}`);
      }
    } finally {
      router.close();
      for (const dealer of dealers) dealer.close();
    }
  });

  test("a Dealer connected to three Routers sends round robin and receives from all", async () => {
    const routers = [new Router(), new Router(), new Router()];
    const dealer = new Dealer();
    try {
      for (const router of routers) {
        await router.bind("tcp://127.0.0.1:0");
        const handshake = router.events.next("handshake");
        dealer.connect(router.lastEndpoint!);
        await handshake;
      }
      const perRouter = 30;
      for (let i = 0; i < perRouter * routers.length; i++) await dealer.send(String(i));
      const ids: Uint8Array[] = [];
      for (const [r, router] of routers.entries()) {
        for (let i = 0; i < perRouter; i++) {
          const [id, body] = await router.receive();
          // Round robin over pipes in connect order: router r gets r, r+3, r+6, ...
          assert.equal(text(body), String(i * routers.length + r));
          if (i === 0) ids.push(id);
        }
      }
      for (const [r, router] of routers.entries()) await router.send([ids[r], `from ${r}`]);
      const replies = new Set<string>();
      for (let i = 0; i < routers.length; i++) replies.add(text((await dealer.receive())[0]));
      assert.deepEqual([...replies].sort(), ["from 0", "from 1", "from 2"]);
    } finally {
      dealer.close();
      for (const router of routers) router.close();
    }
  });

  test("a message sent before the Router exists is delivered once it binds", async () => {
    const probe = new Router();
    await probe.bind("tcp://127.0.0.1:0");
    const address = probe.lastEndpoint!;
    const released = probe.events.next("close");
    probe.close();
    await released;
    const dealer = new Dealer({ routingId: "early", reconnectInterval: 20 });
    const router = new Router();
    try {
      dealer.connect(address);
      await dealer.send("sent early");
      await dealer.events.next("connect:retry");
      await router.bind(address);
      const [id, body] = await router.receive();
      assert.equal(text(id), "early");
      assert.equal(text(body), "sent early");
    } finally {
      dealer.close();
      router.close();
    }
  });

  test("generated routing ids are 5 bytes: 00 and a counter", async () => {
    const router = new Router();
    const dealers = [new Dealer(), new Dealer()];
    try {
      await router.bind("tcp://127.0.0.1:0");
      const ids: Uint8Array[] = [];
      for (const dealer of dealers) {
        dealer.connect(router.lastEndpoint!);
        await dealer.send("x");
        ids.push((await router.receive())[0]);
      }
      for (const id of ids) {
        assert.equal(id.length, 5);
        assert.equal(id[0], 0);
      }
      const value = (id: Uint8Array): number =>
        new DataView(id.buffer, id.byteOffset + 1, 4).getUint32(0);
      assert.equal((value(ids[1]) - value(ids[0])) >>> 0, 1);
    } finally {
      router.close();
      for (const dealer of dealers) dealer.close();
    }
  });

  test("a Router drops messages for unknown peers and single-frame messages", async () => {
    const router = new Router();
    const dealer = new Dealer({ routingId: "known" });
    try {
      await router.bind("tcp://127.0.0.1:0");
      dealer.connect(router.lastEndpoint!);
      await dealer.send("hello");
      await router.receive();
      await router.send(["nobody", "lost"]);
      await router.send(["known"]);
      await router.send(["known", "delivered"]);
      assert.deepEqual((await dealer.receive()).map(text), ["delivered"]);
    } finally {
      router.close();
      dealer.close();
    }
  });
});

describe("Publisher and Subscribers", () => {
  test("a Publisher fans out to many Subscribers by prefix, subscriptions sent on connect", async () => {
    const publisher = new Publisher();
    const topics = ["weather.", "sport.", ""];
    const subscribers = topics.map(() => new Subscriber());
    try {
      await publisher.bind("tcp://127.0.0.1:0");
      for (const [i, subscriber] of subscribers.entries()) {
        // Half subscribe before connecting, half after: both reach the publisher.
        if (i % 2 === 0) subscriber.subscribe(topics[i]);
        subscriber.connect(publisher.lastEndpoint!);
        if (i % 2 === 1) subscriber.subscribe(topics[i]);
      }
      // Publish markers until every subscriber has one: subscriptions are in place.
      const ready = subscribers.map((subscriber) => subscriber.receive());
      let settled = false;
      const all = Promise.all(ready).then(() => (settled = true));
      while (!settled) {
        await publisher.send(["weather.sync"]);
        await publisher.send(["sport.sync"]);
        await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 5))]);
      }
      await publisher.send(["weather.paris", "12"]);
      await publisher.send(["sport.tennis", "6-4"]);
      await publisher.send(["news.other", "-"]);
      await publisher.send(["weather.end"]);
      await publisher.send(["sport.end"]);
      const collect = async (subscriber: Subscriber, ends: number): Promise<string[]> => {
        const got: string[] = [];
        let ended = 0;
        while (ended < ends) {
          const [topic, ...rest] = await subscriber.receive();
          if (text(topic).endsWith(".sync")) continue;
          if (text(topic).endsWith(".end")) ended++;
          else got.push([text(topic), ...rest.map(text)].join(" "));
        }
        return got;
      };
      assert.deepEqual(await collect(subscribers[0], 1), ["weather.paris 12"]);
      assert.deepEqual(await collect(subscribers[1], 1), ["sport.tennis 6-4"]);
      assert.deepEqual(await collect(subscribers[2], 2), [
        "weather.paris 12",
        "sport.tennis 6-4",
        "news.other -",
      ]);
    } finally {
      publisher.close();
      for (const subscriber of subscribers) subscriber.close();
    }
  });

  test("subscriptions are counted: a topic subscribed twice needs two unsubscribes", async () => {
    const publisher = new Publisher();
    const subscriber = new Subscriber();
    try {
      await publisher.bind("tcp://127.0.0.1:0");
      subscriber.subscribe("a", "a");
      subscriber.subscribe("z");
      subscriber.connect(publisher.lastEndpoint!);
      const first = subscriber.receive();
      let got = false;
      void first.then(() => (got = true));
      while (!got) {
        await publisher.send("z-sync");
        await Promise.race([first, new Promise((resolve) => setTimeout(resolve, 5))]);
      }
      const next = async (): Promise<string> => {
        for (;;) {
          const topic = text((await subscriber.receive())[0]);
          if (topic !== "z-sync") return topic;
        }
      };
      subscriber.unsubscribe("a");
      await publisher.send("a-1");
      await publisher.send("z-1");
      assert.equal(await next(), "a-1");
      assert.equal(await next(), "z-1");
      subscriber.unsubscribe("a");
      await publisher.send("a-2");
      await publisher.send("z-2");
      assert.equal(await next(), "z-2");
    } finally {
      publisher.close();
      subscriber.close();
    }
  });
});

describe("received frames", () => {
  /**
   * A Router that binds and a Dealer that dials, and frames sent to the one
   * that binds (its connection was accepted) or to the one that dials: some
   * runtimes read the two kinds of connection differently.
   */
  async function framesTo(receiver: "binds" | "dials"): Promise<{
    send(frames: Uint8Array[]): Promise<void>;
    receive(): Promise<Uint8Array[]>;
    close(): void;
  }> {
    const router = new Router();
    const dealer = new Dealer();
    const close = (): void => {
      router.close();
      dealer.close();
    };
    try {
      await router.bind("tcp://127.0.0.1:0");
      dealer.connect(router.lastEndpoint!);
      if (receiver === "binds") {
        return {
          send: (frames) => dealer.send(frames),
          receive: async () => (await router.receive()).slice(1),
          close,
        };
      }
      await dealer.send("hello");
      const [identity] = await router.receive();
      return {
        send: (frames) => router.send([identity, ...frames]),
        receive: () => dealer.receive(),
        close,
      };
    } catch (error) {
      close();
      throw error;
    }
  }

  for (const receiver of ["binds", "dials"] as const) {
    test(`that span many reads arrive byte for byte, below, at and above 1 MiB, at the side that ${receiver}`, async () => {
      const sizes = [300 * 1024, 1024 * 1024, 1024 * 1024 + 17, 20];
      const pattern = (size: number, seed: number): Uint8Array => {
        const bytes = new Uint8Array(size);
        for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed) & 0xff;
        return bytes;
      };
      const pair = await framesTo(receiver);
      try {
        for (let round = 0; round < 3; round++) {
          await pair.send(sizes.map((size, i) => pattern(size, round + i)));
        }
        for (let round = 0; round < 3; round++) {
          const frames = await pair.receive();
          assert.deepEqual(frames.map((frame) => frame.length), sizes);
          frames.forEach((frame, i) => {
            const expected = pattern(sizes[i], round + i);
            const first = frame.findIndex((byte, at) => byte !== expected[at]);
            assert.equal(first, -1, `round ${round}, frame ${i} differs at byte ${first}`);
          });
        }
      } finally {
        pair.close();
      }
    });

    test(`are of one type whether or not they spanned reads (Buffer on Node and Bun), at the side that ${receiver}`, async () => {
      const pair = await framesTo(receiver);
      try {
        await pair.send([new TextEncoder().encode("small"), new Uint8Array(4 * 1024 * 1024)]);
        const [small, large] = await pair.receive();
        assert.equal(large.length, 4 * 1024 * 1024);
        assert.equal(Object.getPrototypeOf(large), Object.getPrototypeOf(small));
        // Deno hands out plain Uint8Arrays; Node and Bun their Buffers.
        if (!("Deno" in globalThis)) assert.ok(Buffer.isBuffer(small), "a Buffer");
      } finally {
        pair.close();
      }
    });
  }
});
