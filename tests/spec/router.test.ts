// libzmq's tests/test_spec_router.cpp (RFC 28, ROUTER) and test_router_mandatory.cpp rewritten
// for our Router, with our Dealers as peers, over inproc and tcp.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Dealer } from "../../sockets/dealer.ts";
import { Router } from "../../sockets/router.ts";
import {
  bindAddress,
  connectReady,
  type LocalTransport,
  nextEvents,
  texts,
} from "../fixtures/sockets.ts";

const SERVICES = 5;

for (const transport of ["inproc", "tcp"] as const satisfies LocalTransport[]) {
  describe(`RFC 28 ROUTER over ${transport}`, () => {
    test("receives from its peers by fair queueing, each message with its sender's id", async () => {
      const receiver = new Router();
      const senders: Dealer[] = [];
      try {
        await receiver.bind(bindAddress(transport, "router-fq"));
        for (let i = 0; i < SERVICES; i++) {
          const sender = new Dealer({ routingId: String.fromCharCode(65 + i) });
          senders.push(sender);
          await connectReady(receiver, sender);
        }
        await senders[0].send("M");
        assert.deepEqual(texts(await receiver.receive()), ["A", "M"]);
        // Three messages from each; every one in before the first read (a peer that closes
        // sends what it queued first, and what it delivered stays readable).
        for (const sender of senders) for (let n = 0; n < 3; n++) await sender.send(`M${n}`);
        if (transport === "tcp") {
          const gone = nextEvents(receiver, "disconnect", senders.length);
          for (const sender of senders) sender.close();
          await gone;
        }
        // Round after round, one message from each peer.
        for (let n = 0; n < 3; n++) {
          const round: string[] = [];
          for (let i = 0; i < SERVICES; i++) {
            const [id, body] = texts(await receiver.receive());
            assert.equal(body, `M${n}`);
            round.push(id);
          }
          assert.deepEqual(round.sort(), ["A", "B", "C", "D", "E"]);
        }
      } finally {
        receiver.close();
        for (const sender of senders) sender.close();
      }
    });

    test("destroys the queue of a peer that disconnects; mandatory then says EHOSTUNREACH", async () => {
      const a = new Router({ mandatory: true, sendHighWaterMark: 1, sendTimeout: 0 });
      // libzmq's test names the peer "B" with its C string terminator.
      const id = "B\0";
      const b = new Dealer({ routingId: id, receiveHighWaterMark: 1 });
      try {
        await a.bind(bindAddress(transport, "router-destroy"));
        const endpoint = a.lastEndpoint!;
        await connectReady(a, b);
        await a.send([id, "ABC"]);
        await b.send("DEF");
        assert.deepEqual(texts(await b.receive()), ["ABC"]);
        assert.deepEqual(texts(await a.receive()), [id, "DEF"]);
        // B stops reading at one message; a big one fills the connection's batch over tcp.
        const big = new Uint8Array(transport === "tcp" ? 256 * 1024 : 1);
        let queued = 0;
        for (;; queued++) {
          assert.ok(queued < 1000, "the queues never filled: messages are being dropped");
          try {
            await a.send([id, String(queued), big]);
          } catch (error) {
            assert.equal((error as { code?: string }).code, "EAGAIN");
            break;
          }
        }
        const gone = transport === "tcp" ? a.events.next("disconnect") : undefined;
        b.disconnect(endpoint);
        await gone;
        await assert.rejects(a.send([id, "lost"]), { code: "EHOSTUNREACH" });

        await connectReady(a, b);
        await a.send([id, "new"]);
        // Only what B had received before leaving comes before the new message.
        let next = 0;
        for (;;) {
          const [tag] = texts(await b.receive());
          if (tag === "new") break;
          assert.equal(tag, String(next++));
        }
        assert.ok(next < queued, `only ${next} of the ${queued} messages queued may arrive`);
      } finally {
        a.close();
        b.close();
      }
    });

    test("mandatory: unknown peer EHOSTUNREACH, known peer delivered, full peer EAGAIN", async () => {
      const router = new Router({ mandatory: true, sendTimeout: 0, sendHighWaterMark: 1 });
      const dealer = new Dealer({ routingId: "known", receiveHighWaterMark: 1 });
      try {
        await router.bind(bindAddress(transport, "router-mandatory"));
        await assert.rejects(router.send(["known", "too early"]), { code: "EHOSTUNREACH" });
        await connectReady(router, dealer);
        await assert.rejects(router.send(["unknown", "x"]), { code: "EHOSTUNREACH" });
        await router.send(["known", "hello"]);
        assert.deepEqual(texts(await dealer.receive()), ["hello"]);
        // Without mandatory these would be dropped; with it the socket says why.
        const big = new Uint8Array(transport === "tcp" ? 256 * 1024 : 1);
        let sent = 0;
        for (;; sent++) {
          assert.ok(sent < 1000, "the queues never filled: messages are being dropped");
          try {
            await router.send(["known", big]);
          } catch (error) {
            assert.equal((error as { code?: string }).code, "EAGAIN");
            break;
          }
        }
        assert.ok(sent >= 2, `both high-water marks hold a message before EAGAIN (${sent})`);
      } finally {
        router.close();
        dealer.close();
      }
    });
  });
}
