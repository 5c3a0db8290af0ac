// libzmq's tests/test_spec_dealer.cpp (RFC 28, DEALER) rewritten for our Dealer on both ends,
// over inproc and tcp.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Dealer } from "../../sockets/dealer.ts";
import type { Pipe } from "../../sockets/pipe.ts";
import {
  Arrivals,
  bindAddress,
  connectReady,
  type LocalTransport,
  text,
  texts,
} from "../fixtures/sockets.ts";

const SERVICES = 5;

/** A Dealer that counts its peers' queues turning non-empty, to know messages are in. */
class ObservedDealer extends Dealer {
  readonly arrivals: Arrivals = new Arrivals();
  protected override xReadable(pipe: Pipe): void {
    super.xReadable(pipe);
    this.arrivals.add();
  }
}

for (const transport of ["inproc", "tcp"] as const satisfies LocalTransport[]) {
  describe(`RFC 28 DEALER over ${transport}`, () => {
    test("routes outgoing messages to available peers round robin", async () => {
      const dealer = new Dealer();
      const peers: Dealer[] = [];
      try {
        await dealer.bind(bindAddress(transport, "dealer-rr"));
        for (let i = 0; i < SERVICES; i++) {
          const peer = new Dealer();
          peers.push(peer);
          await connectReady(dealer, peer);
        }
        for (let n = 0; n < 3 * SERVICES; n++) await dealer.send(["", String(n)]);
        // Peers in the order they came: peer i gets i, i + 5, i + 10.
        for (const [i, peer] of peers.entries()) {
          for (let round = 0; round < 3; round++) {
            assert.deepEqual(texts(await peer.receive()), ["", String(i + round * SERVICES)]);
          }
        }
      } finally {
        dealer.close();
        for (const peer of peers) peer.close();
      }
    });

    test("receives incoming messages from its peers by fair queueing", async () => {
      const receiver = new ObservedDealer();
      const senders: Dealer[] = [];
      try {
        await receiver.bind(bindAddress(transport, "dealer-fq"));
        for (let i = 0; i < SERVICES; i++) {
          const sender = new Dealer();
          senders.push(sender);
          await connectReady(receiver, sender);
        }
        // As libzmq's test: one message back and forth first.
        await senders[0].send("A");
        assert.deepEqual(texts(await receiver.receive()), ["A"]);
        await receiver.arrivals.wait(1);
        // A busy peer queues ten, then each other peer one: reading must alternate.
        for (let n = 0; n < 10; n++) await senders[0].send(`0-${n}`);
        await receiver.arrivals.wait(1);
        for (let i = 1; i < SERVICES; i++) await senders[i].send(`${i}-0`);
        await receiver.arrivals.wait(SERVICES - 1);
        const first: string[] = [];
        for (let i = 0; i < SERVICES; i++) first.push(text((await receiver.receive())[0]));
        assert.deepEqual(first.map((body) => body.split("-")[0]).sort(), ["0", "1", "2", "3", "4"]);
        // The busy peer's messages, in order.
        const rest: string[] = [];
        for (let n = 0; n < 9; n++) rest.push(text((await receiver.receive())[0]));
        assert.deepEqual(
          [first.find((body) => body.startsWith("0-"))!, ...rest],
          [
            ...Array(10).keys(),
          ].map((n) => `0-${n}`),
        );
      } finally {
        receiver.close();
        for (const sender of senders) sender.close();
      }
    });

    test("blocks on sending when it has no peers: EAGAIN after sendTimeout, at once with 0", async () => {
      const dealer = new Dealer({ sendTimeout: 250 });
      try {
        await dealer.bind(bindAddress(transport, "dealer-block"));
        const started = Date.now();
        await assert.rejects(dealer.send("nobody"), { name: "ZmqError", code: "EAGAIN" });
        assert.ok(Date.now() - started >= 200, "the send waited for a peer before giving up");
        dealer.sendTimeout = 0;
        await assert.rejects(dealer.send("nobody"), { name: "ZmqError", code: "EAGAIN" });
        // An AbortSignal ends a wait the same way, with its reason.
        dealer.sendTimeout = -1;
        const reason = new Error("gave up");
        await assert.rejects(dealer.send("nobody", { signal: AbortSignal.abort(reason) }), reason);
      } finally {
        dealer.close();
      }
    });

    test("destroys the queue of a peer that disconnects", async () => {
      const a = new Dealer({ sendHighWaterMark: 1, sendTimeout: 0 });
      const b = new Dealer({ receiveHighWaterMark: 1, receiveTimeout: 10_000 });
      try {
        await a.bind(bindAddress(transport, "dealer-destroy"));
        const endpoint = a.lastEndpoint!;
        await connectReady(a, b);
        // A message both ways, as in libzmq's test.
        await a.send("ABC");
        await b.send("DEF");
        assert.deepEqual(texts(await b.receive()), ["ABC"]);
        assert.deepEqual(texts(await a.receive()), ["DEF"]);
        // Fill what A keeps for B: B stops reading at one message; over tcp, a big message fills
        // the connection's batch, and the next one stays in A's queue.
        const big = new Uint8Array(transport === "tcp" ? 256 * 1024 : 1);
        let queued = 0;
        for (;; queued++) {
          assert.ok(queued < 1000, "the queues never filled");
          try {
            await a.send([String(queued), big]);
          } catch (error) {
            assert.equal((error as { code?: string }).code, "EAGAIN");
            break;
          }
        }
        const gone = transport === "tcp" ? a.events.next("disconnect") : undefined;
        b.disconnect(endpoint);
        await gone;
        // No peer any more: sending fails (nothing is queued for a peer that is gone).
        await assert.rejects(a.send("lost"), { code: "EAGAIN" });

        await connectReady(a, b);
        await a.send("new");
        // B reads what it had received before disconnecting, in order, then the new message:
        // what A had queued for the old connection never arrives.
        let next = 0;
        for (;;) {
          const [tag] = await b.receive();
          if (text(tag) === "new") break;
          assert.equal(text(tag), String(next++));
        }
        assert.ok(next < queued, `only ${next} of the ${queued} messages queued may arrive`);
      } finally {
        a.close();
        b.close();
      }
    });
  });
}
