// libzmq's tests/test_spec_rep.cpp (RFC 28, REP side) rewritten for our Reply, with our Request,
// Dealer and Router as peers, over inproc and tcp.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ZmqError } from "../../core/errors.ts";
import { Dealer } from "../../sockets/dealer.ts";
import type { Message } from "../../sockets/message.ts";
import { Reply } from "../../sockets/reply.ts";
import { Request } from "../../sockets/request.ts";
import { Router } from "../../sockets/router.ts";
import {
  bindAddress,
  connectReady,
  type LocalTransport,
  ObservedReply,
  text,
  texts,
} from "../fixtures/sockets.ts";

/** Forwards every message `from` receives to `to`, until either closes (one half of a proxy). */
async function relay(
  from: AsyncIterable<Message>,
  to: { send(message: Message): Promise<void> },
): Promise<void> {
  try {
    for await (const message of from) await to.send(message);
  } catch (error) {
    if ((error as ZmqError).code !== "ENOTSOCK") throw error;
  }
}

for (const transport of ["inproc", "tcp"] as const satisfies LocalTransport[]) {
  describe(`RFC 28 REP over ${transport}`, () => {
    test("receives requests from its peers by fair queueing", async () => {
      const reply = new ObservedReply({ receiveTimeout: 5000 });
      const requests: Request[] = [];
      const dealers: Dealer[] = [];
      try {
        await reply.bind(bindAddress(transport, "rep-fq"));
        for (let peer = 0; peer < 5; peer++) {
          const request = new Request({ receiveTimeout: 5000 });
          requests.push(request);
          await connectReady(reply, request);
        }
        // One peer, twice.
        for (let round = 0; round < 2; round++) {
          await requests[0].send("A");
          assert.deepEqual(texts(await reply.receive()), ["A"]);
          await reply.send("A");
          assert.deepEqual(texts(await requests[0].receive()), ["A"]);
        }
        // Every peer at once: each reply reaches the peer that asked.
        for (const [peer, request] of requests.entries()) await request.send(`R${peer}`);
        for (let i = 0; i < requests.length; i++) {
          const [body] = await reply.receive();
          await reply.send(`to ${text(body)}`);
        }
        for (const [peer, request] of requests.entries()) {
          assert.deepEqual(texts(await request.receive()), [`to R${peer}`]);
        }
        // Two requests from each of three Dealers: one from each peer, then the second ones.
        for (let peer = 0; peer < 3; peer++) {
          const dealer = new Dealer();
          dealers.push(dealer);
          await connectReady(reply, dealer);
        }
        for (const [peer, dealer] of dealers.entries()) {
          await dealer.send(["", `first ${peer}`]);
          await dealer.send(["", `second ${peer}`]);
        }
        // Every arrival so far: twice from the first peer, once from each peer, once per Dealer
        // (its second request joins the first in the queue).
        await reply.arrivals.wait(2 + requests.length + dealers.length);
        const got: string[] = [];
        for (let i = 0; i < 2 * dealers.length; i++) {
          got.push(text((await reply.receive())[0]));
          await reply.send("ok");
        }
        assert.deepEqual(got.slice(0, 3).sort(), ["first 0", "first 1", "first 2"]);
        assert.deepEqual(got.slice(3).sort(), ["second 0", "second 1", "second 2"]);
      } finally {
        reply.close();
        for (const socket of [...requests, ...dealers]) socket.close();
      }
    });

    test("keeps the envelope back and puts it in front of the reply", async () => {
      const reply = new Reply({ receiveTimeout: 5000 });
      const dealer = new Dealer({ receiveTimeout: 5000 });
      try {
        await reply.bind(bindAddress(transport, "rep-envelope"));
        await connectReady(reply, dealer);
        // Minimal envelope.
        await dealer.send(["", "A"]);
        assert.deepEqual(texts(await reply.receive()), ["A"]);
        await reply.send("A");
        assert.deepEqual(texts(await dealer.receive()), ["", "A"]);
        // Big envelope.
        await dealer.send(["X", "Y", "", "A"]);
        assert.deepEqual(texts(await reply.receive()), ["A"]);
        await reply.send("A");
        assert.deepEqual(texts(await dealer.receive()), ["X", "Y", "", "A"]);
      } finally {
        reply.close();
        dealer.close();
      }
    });

    test("drops a request without an empty delimiter", async () => {
      const reply = new Reply({ receiveTimeout: 5000 });
      const dealer = new Dealer({ receiveTimeout: 5000 });
      try {
        await reply.bind(bindAddress(transport, "rep-malformed"));
        await connectReady(reply, dealer);
        await dealer.send("no delimiter");
        await dealer.send(["id", ""]); // a delimiter with no body after it
        await dealer.send(["", "good"]);
        assert.deepEqual(texts(await reply.receive()), ["good"]);
        await reply.send("reply");
        assert.deepEqual(texts(await dealer.receive()), ["", "reply"]);
      } finally {
        reply.close();
        dealer.close();
      }
    });

    test("answers through two Router/Dealer proxies: the stacked envelope comes back whole", async () => {
      const front1 = new Router();
      const back1 = new Dealer();
      const front2 = new Router();
      const back2 = new Dealer();
      const reply = new Reply({ receiveTimeout: 5000 });
      const clients = [new Request({ routingId: "c0" }), new Request({ routingId: "c1" })];
      const relays: Promise<void>[] = [];
      try {
        await front1.bind(bindAddress(transport, "hop-front1"));
        await back1.bind(bindAddress(transport, "hop-back1"));
        await back2.bind(bindAddress(transport, "hop-back2"));
        await connectReady(back1, front2);
        await connectReady(back2, reply);
        for (const client of clients) await connectReady(front1, client);
        relays.push(relay(front1, back1), relay(back1, front1));
        relays.push(relay(front2, back2), relay(back2, front2));
        for (const [i, client] of clients.entries()) await client.send(`question ${i}`);
        for (let i = 0; i < clients.length; i++) {
          const [question] = await reply.receive();
          await reply.send(`answer to ${text(question)}`);
        }
        for (const [i, client] of clients.entries()) {
          assert.deepEqual(texts(await client.receive()), [`answer to question ${i}`]);
        }
      } finally {
        for (const socket of [front1, back1, front2, back2, reply, ...clients]) socket.close();
        await Promise.all(relays);
      }
    });
  });
}
