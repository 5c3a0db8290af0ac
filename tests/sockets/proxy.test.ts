// Proxy: a Router/Dealer broker and an XSubscriber/XPublisher forwarder with our sockets at the
// ends; whole messages in order both ways, the capture socket, pause/resume, terminate, and
// sockets that cannot receive or send.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ZmqError } from "../../core/errors.ts";
import { Dealer } from "../../sockets/dealer.ts";
import { Proxy } from "../../sockets/proxy.ts";
import { Publisher } from "../../sockets/publisher.ts";
import { Router } from "../../sockets/router.ts";
import { Subscriber } from "../../sockets/subscriber.ts";
import { XPublisher } from "../../sockets/xpublisher.ts";
import { XSubscriber } from "../../sockets/xsubscriber.ts";
import { bindAddress, connectReady, type LocalTransport, texts } from "../fixtures/sockets.ts";

const TRANSPORTS: LocalTransport[] = ["inproc", "tcp"];

/** A worker behind the broker's Dealer: a Dealer that answers `[...envelope, "", body]`. */
async function serve(worker: Dealer, name: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const message = await worker.receive();
    const body = message.pop()!;
    await worker.send([...message, `${name}:${new TextDecoder().decode(body)}`, body]);
  }
}

/** The code of a ZmqError (fails the test for anything else). */
function codeOf(error: unknown): string {
  assert.ok(error instanceof ZmqError, `expected a ZmqError, got ${String(error)}`);
  return error.code;
}

for (const transport of TRANSPORTS) {
  describe(`Proxy over ${transport}`, () => {
    test("a Router/Dealer broker: every request reaches a worker, every reply its client", async () => {
      const frontEnd = new Router();
      const backEnd = new Dealer();
      const clients = [0, 1, 2].map((i) => new Dealer({ routingId: `client${i}` }));
      const workers = [0, 1].map(() => new Dealer());
      const proxy = new Proxy(frontEnd, backEnd);
      const running = proxy.run();
      try {
        await frontEnd.bind(bindAddress(transport, "broker-front"));
        await backEnd.bind(bindAddress(transport, "broker-back"));
        for (const worker of workers) await connectReady(backEnd, worker);
        for (const client of clients) await connectReady(frontEnd, client);
        const perClient = 20;
        const served = workers.map((worker, w) => serve(worker, `w${w}`, perClient * 3 / 2));
        for (let i = 0; i < perClient; i++) {
          for (const [c, client] of clients.entries()) await client.send(["", `${c}-${i}`]);
        }
        for (const [c, client] of clients.entries()) {
          // Two workers answer independently: a client's replies come in each worker's order.
          const byWorker = new Map<string, number[]>();
          for (let i = 0; i < perClient; i++) {
            const [empty, answer, body] = texts(await client.receive());
            assert.equal(empty, "");
            const [worker, request] = answer.split(":");
            assert.equal(request, body);
            const [from, n] = body.split("-").map(Number);
            assert.equal(from, c);
            byWorker.set(worker, [...byWorker.get(worker) ?? [], n]);
          }
          const all = [...byWorker.values()].flat();
          assert.deepEqual(all.toSorted((a, b) => a - b), [...Array(perClient).keys()]);
          for (const order of byWorker.values()) {
            assert.deepEqual(order, order.toSorted((a, b) => a - b));
          }
        }
        await Promise.all(served);
      } finally {
        proxy.terminate();
        await running;
        frontEnd.close();
        backEnd.close();
        for (const socket of [...clients, ...workers]) socket.close();
      }
    });

    test("an XSubscriber/XPublisher forwarder carries subscriptions and upstream messages up, messages down", async () => {
      // An XPublisher upstream: its report says when a subscription made downstream got there.
      const upstream = new XPublisher();
      const frontEnd = new XSubscriber();
      const backEnd = new XPublisher();
      const subscriber = new Subscriber();
      const talker = new XSubscriber();
      const proxy = new Proxy(frontEnd, backEnd);
      const running = proxy.run();
      try {
        await upstream.bind(bindAddress(transport, "forwarder-up"));
        await connectReady(upstream, frontEnd);
        await backEnd.bind(bindAddress(transport, "forwarder-down"));
        await connectReady(backEnd, subscriber);
        await connectReady(backEnd, talker);
        subscriber.subscribe("A");
        assert.deepEqual(await upstream.receive(), [Uint8Array.of(1, 0x41)]);
        for (let i = 0; i < 10; i++) {
          await upstream.send(["B-filtered", String(i)]);
          await upstream.send(["A-topic", String(i)]);
        }
        for (let i = 0; i < 10; i++) {
          assert.deepEqual(texts(await subscriber.receive()), ["A-topic", String(i)]);
        }
        await talker.send(["hello", "upstream"]);
        assert.deepEqual(texts(await upstream.receive()), ["hello", "upstream"]);
        subscriber.close();
        assert.deepEqual(await upstream.receive(), [Uint8Array.of(0, 0x41)]);
      } finally {
        proxy.terminate();
        await running;
        for (const socket of [upstream, frontEnd, backEnd, subscriber, talker]) socket.close();
      }
    });
  });
}

describe("Proxy control", () => {
  /** client → Router → (proxy) → Dealer → worker, over inproc. */
  async function broker(): Promise<{
    client: Dealer;
    frontEnd: Router;
    backEnd: Dealer;
    worker: Dealer;
    close(): void;
  }> {
    const frontEnd = new Router();
    const backEnd = new Dealer();
    const client = new Dealer({ routingId: "client" });
    const worker = new Dealer();
    await frontEnd.bind(bindAddress("inproc", "control-front"));
    await backEnd.bind(bindAddress("inproc", "control-back"));
    await connectReady(frontEnd, client);
    await connectReady(backEnd, worker);
    return {
      client,
      frontEnd,
      backEnd,
      worker,
      close: () => {
        for (const socket of [client, frontEnd, backEnd, worker]) socket.close();
      },
    };
  }

  test("the capture socket gets a copy of every message, both ways, before it goes on", async () => {
    const { client, frontEnd, backEnd, worker, close } = await broker();
    const capture = new Dealer();
    const collector = new Dealer();
    const proxy = new Proxy(frontEnd, backEnd, capture);
    const running = proxy.run();
    try {
      await capture.bind(bindAddress("inproc", "capture"));
      await connectReady(capture, collector);
      await client.send(["", "request", "two frames"]);
      const request = await worker.receive();
      assert.deepEqual(texts(request), ["client", "", "request", "two frames"]);
      await worker.send([...request.slice(0, 2), "reply"]);
      assert.deepEqual(texts(await client.receive()), ["", "reply"]);
      assert.deepEqual(texts(await collector.receive()), ["client", "", "request", "two frames"]);
      assert.deepEqual(texts(await collector.receive()), ["client", "", "reply"]);
    } finally {
      proxy.terminate();
      await running;
      close();
      capture.close();
      collector.close();
    }
  });

  test("pause stops moving messages, none lost; resume moves them on in order", async () => {
    const { client, frontEnd, backEnd, worker, close } = await broker();
    const proxy = new Proxy(frontEnd, backEnd);
    proxy.pause();
    const running = proxy.run();
    try {
      for (let i = 0; i < 3; i++) await client.send(["", `early ${i}`]);
      // A bounded wait, only to show that nothing moves while paused.
      await assert.rejects(worker.receive({ signal: AbortSignal.timeout(100) }));
      proxy.resume();
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(texts(await worker.receive()), ["client", "", `early ${i}`]);
      }
      // The other way, nothing moved yet: that direction's receive was waiting when paused.
      proxy.pause();
      await worker.send(["client", "", "reply while paused"]);
      await assert.rejects(client.receive({ signal: AbortSignal.timeout(100) }));
      proxy.resume();
      assert.deepEqual(texts(await client.receive()), ["", "reply while paused"]);
    } finally {
      proxy.terminate();
      await running;
      close();
    }
  });

  test("terminate ends run(); the sockets stay open; a proxy runs once", async () => {
    const { client, frontEnd, backEnd, worker, close } = await broker();
    const proxy = new Proxy(frontEnd, backEnd);
    try {
      const running = proxy.run();
      await assert.rejects(proxy.run(), (error) => codeOf(error) === "EFSM");
      proxy.terminate();
      await running;
      assert.equal(frontEnd.closed, false);
      await client.send(["", "after"]);
      assert.deepEqual(texts(await frontEnd.receive()), ["client", "", "after"]);
      await worker.send("direct");
      assert.deepEqual(texts(await backEnd.receive()), ["direct"]);
    } finally {
      close();
    }
  });

  test("a socket closed under the proxy ends run()", async () => {
    const { frontEnd, backEnd, close } = await broker();
    const proxy = new Proxy(frontEnd, backEnd);
    try {
      const running = proxy.run();
      frontEnd.close();
      await running;
    } finally {
      close();
    }
  });

  test("a Subscriber/Publisher forwarder: the Publisher side, which cannot receive, is idle", async () => {
    const upstream = new Publisher();
    const frontEnd = new Subscriber();
    const backEnd = new Publisher();
    const downstream = new Subscriber();
    const proxy = new Proxy(frontEnd, backEnd);
    const running = proxy.run();
    try {
      await upstream.bind(bindAddress("inproc", "sub-pub-up"));
      await connectReady(upstream, frontEnd);
      frontEnd.subscribe();
      await backEnd.bind(bindAddress("inproc", "sub-pub-down"));
      await connectReady(backEnd, downstream);
      downstream.subscribe("A");
      await upstream.send(["B", "filtered downstream"]);
      await upstream.send(["A", "passed"]);
      assert.deepEqual(texts(await downstream.receive()), ["A", "passed"]);
    } finally {
      proxy.terminate();
      await running;
      for (const socket of [upstream, frontEnd, backEnd, downstream]) socket.close();
    }
  });

  test("a destination that cannot send ends run() with ENOTSUP", async () => {
    const frontEnd = new Dealer();
    const backEnd = new Subscriber();
    const peer = new Dealer();
    const proxy = new Proxy(frontEnd, backEnd);
    try {
      await frontEnd.bind(bindAddress("inproc", "cannot-send"));
      await connectReady(frontEnd, peer);
      const running = proxy.run();
      await peer.send("to a Subscriber");
      await assert.rejects(running, (error) => codeOf(error) === "ENOTSUP");
    } finally {
      for (const socket of [frontEnd, backEnd, peer]) socket.close();
    }
  });

  test("two different sockets are needed", () => {
    const dealer = new Dealer();
    try {
      assert.throws(() => new Proxy(dealer, dealer), TypeError);
      assert.throws(() => new Proxy(dealer, {} as Dealer), TypeError);
    } finally {
      dealer.close();
    }
  });
});
