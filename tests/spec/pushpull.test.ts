// libzmq's tests/test_spec_pushpull.cpp (RFC 30) rewritten for our Push and Pull, on both ends,
// over inproc and tcp.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Pull } from "../../sockets/pull.ts";
import { Push } from "../../sockets/push.ts";
import {
  bindAddress,
  connectReady,
  type LocalTransport,
  nextEvents,
  text,
} from "../fixtures/sockets.ts";

const SERVICES = 5;

for (const transport of ["inproc", "tcp"] as const satisfies LocalTransport[]) {
  describe(`RFC 30 PUSH/PULL over ${transport}`, () => {
    test("PUSH routes outgoing messages to its peers round robin", async () => {
      const push = new Push();
      const pulls: Pull[] = [];
      try {
        await push.bind(bindAddress(transport, "push-rr"));
        for (let peer = 0; peer < SERVICES; peer++) {
          const pull = new Pull({ receiveTimeout: 5000 });
          pulls.push(pull);
          await connectReady(push, pull);
        }
        for (let peer = 0; peer < SERVICES; peer++) await push.send("ABC");
        for (let peer = 0; peer < SERVICES; peer++) await push.send("DEF");
        // Every PULL got one of each, in order.
        for (const pull of pulls) {
          assert.deepEqual((await pull.receive()).map(text), ["ABC"]);
          assert.deepEqual((await pull.receive()).map(text), ["DEF"]);
        }
      } finally {
        push.close();
        for (const pull of pulls) pull.close();
      }
    });

    test("PULL receives from its peers by fair queueing", async () => {
      const pull = new Pull({ receiveTimeout: 5000 });
      const pushes: Push[] = [];
      try {
        await pull.bind(bindAddress(transport, "pull-fq"));
        for (let peer = 0; peer < SERVICES; peer++) {
          const push = new Push();
          pushes.push(push);
          await connectReady(pull, push);
        }
        const first: string[] = [];
        const second: string[] = [];
        for (const [peer, push] of pushes.entries()) {
          first.push(String.fromCharCode(65 + peer));
          second.push(String.fromCharCode(65 + peer + SERVICES));
          await push.send(first[peer]);
          await push.send(second[peer]);
        }
        if (transport === "tcp") {
          // Every message must have arrived before the first read, for the order to be the fair
          // queue's: each Push closes after writing (linger), and its data precedes its FIN.
          const gone = nextEvents(pull, "disconnect", pushes.length);
          for (const push of pushes) push.close();
          await gone;
        }
        // One from each peer first, then the second batch.
        const got: string[] = [];
        for (let i = 0; i < 2 * SERVICES; i++) got.push(text((await pull.receive())[0]));
        assert.deepEqual(got.slice(0, SERVICES).sort(), first);
        assert.deepEqual(got.slice(SERVICES).sort(), second);
      } finally {
        pull.close();
        for (const push of pushes) push.close();
      }
    });

    test("PUSH blocks on sending when it has no peers (EAGAIN after sendTimeout)", async () => {
      const push = new Push({ sendTimeout: 250 });
      try {
        await push.bind(bindAddress(transport, "push-block"));
        const started = Date.now();
        await assert.rejects(push.send(""), { name: "ZmqError", code: "EAGAIN" });
        assert.ok(Date.now() - started >= 200, "the send waited for a peer before giving up");
        push.sendTimeout = 0;
        await assert.rejects(push.send(""), { name: "ZmqError", code: "EAGAIN" });
      } finally {
        push.close();
      }
    });

    if (transport === "inproc") {
      // libzmq's version (disabled in libzmq itself) asserts the same counts.
      test("a peer that disconnects loses the queue kept for it; the new one fills exactly", async () => {
        const a = new Push({ sendHighWaterMark: 1, sendTimeout: 0 });
        const b = new Pull({ receiveHighWaterMark: 1, receiveTimeout: 0 });
        try {
          await a.bind(bindAddress(transport, "destroy-queue"));
          const endpoint = a.lastEndpoint!;
          await connectReady(a, b);
          // One message reaches B's queue, the other stays in A's: both queues are full.
          await a.send("ABC");
          await a.send("DEF");
          await assert.rejects(a.send(""), { code: "EAGAIN" });

          b.disconnect(endpoint);
          // No peer any more: sending fails.
          await assert.rejects(a.send(""), { code: "EAGAIN" });

          await connectReady(a, b);
          // Exactly two messages fit again (A's and B's high-water marks): "DEF" is gone with
          // the queue A kept for the old connection.
          await a.send("GHI");
          await a.send("JKL");
          await assert.rejects(a.send(""), { code: "EAGAIN" });
          // "ABC" was in B's hands before it disconnected and stays readable (libzmq discards
          // it on a local disconnect; see tests/sockets/push_pull.test.ts).
          const got: string[] = [];
          for (let i = 0; i < 3; i++) got.push(text((await b.receive())[0]));
          assert.deepEqual(got, ["ABC", "GHI", "JKL"]);
          await assert.rejects(b.receive(), { code: "EAGAIN" });
        } finally {
          a.close();
          b.close();
        }
      });
    } else {
      test("a peer that disconnects loses the queue kept for it", async () => {
        // Over tcp the socket buffers hold messages too, so fill them: B stops reading after one
        // message and A sends until its queue stays full. A send that finds no room within
        // 200 ms proves that it is full (a bounded wait to show that room does NOT come).
        const a = new Push({ sendHighWaterMark: 1, sendTimeout: 200 });
        const b = new Pull({ receiveHighWaterMark: 1, receiveTimeout: 10_000 });
        const big = new Uint8Array(256 * 1024);
        try {
          await a.bind(bindAddress(transport, "destroy-queue"));
          const endpoint = a.lastEndpoint!;
          await connectReady(a, b);
          let sent = 0;
          for (;;) {
            try {
              await a.send([String(sent), big]);
              sent++;
            } catch (error) {
              assert.equal((error as { code?: string }).code, "EAGAIN");
              break;
            }
          }
          const gone = a.events.next("disconnect");
          b.disconnect(endpoint);
          await gone;
          a.sendTimeout = 0;
          await assert.rejects(a.send(""), { code: "EAGAIN" });

          await connectReady(a, b);
          await a.send(["new", big]);
          // B reads what it had received before disconnecting, in order, then the new message:
          // the rest of what A had queued for the old connection never arrives.
          let next = 0;
          for (;;) {
            const [tag] = await b.receive();
            if (text(tag) === "new") break;
            assert.equal(text(tag), String(next++));
          }
          assert.ok(next < sent, `only ${next} of the ${sent} messages sent may arrive`);
        } finally {
          a.close();
          b.close();
        }
      });
    }

    test("PUSH and PULL deliver multipart messages whole", async () => {
      const push = new Push({ sendHighWaterMark: 1 });
      const pull = new Pull({ receiveHighWaterMark: 1, receiveTimeout: 5000 });
      try {
        await pull.bind(bindAddress(transport, "atomic"));
        await connectReady(pull, push);
        const messages = [["0", "0", "a".repeat(100_000)], ["1"], ["2", "2", "b".repeat(100_000)]];
        const sending = Promise.all(messages.map((message) => push.send(message)));
        for (const message of messages) {
          assert.deepEqual((await pull.receive()).map(text), message);
        }
        await sending;
      } finally {
        push.close();
        pull.close();
      }
    });
  });
}
