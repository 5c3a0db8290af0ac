// libzmq's tests/test_spec_req.cpp (RFC 28, REQ side) rewritten for our Request, with our Reply
// and Router as peers, over inproc and tcp.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Reply } from "../../sockets/reply.ts";
import { Request } from "../../sockets/request.ts";
import { Router } from "../../sockets/router.ts";
import {
  bindAddress,
  connectReady,
  type LocalTransport,
  ObservedRequest,
  text,
  texts,
} from "../fixtures/sockets.ts";

for (const transport of ["inproc", "tcp"] as const satisfies LocalTransport[]) {
  describe(`RFC 28 REQ over ${transport}`, () => {
    test("routes outgoing requests to its peers round robin", async () => {
      const request = new Request({ receiveTimeout: 5000 });
      const replies: Reply[] = [];
      try {
        await request.bind(bindAddress(transport, "req-rr"));
        for (let peer = 0; peer < 5; peer++) {
          const reply = new Reply({ receiveTimeout: 5000 });
          replies.push(reply);
          await connectReady(request, reply);
        }
        // Every REP is used once, in order.
        for (const reply of replies) {
          await request.send("ABC");
          assert.deepEqual(texts(await reply.receive()), ["ABC"]);
          await reply.send("DEF");
          assert.deepEqual(texts(await request.receive()), ["DEF"]);
        }
      } finally {
        request.close();
        for (const reply of replies) reply.close();
      }
    });

    test("accepts a reply only from the peer it sent the request to", async () => {
      const request = new ObservedRequest({ routingId: "A", receiveTimeout: 5000 });
      const routers: Router[] = [];
      try {
        await request.bind(bindAddress(transport, "req-current"));
        for (let i = 0; i < 3; i++) {
          const router = new Router({ receiveTimeout: 5000 });
          routers.push(router);
          await connectReady(request, router);
        }
        for (const [i, router] of routers.entries()) {
          await request.send("ABC");
          const [id, empty, body] = await router.receive();
          assert.deepEqual([text(id), empty.length, text(body)], ["A", 0, "ABC"]);
          // Every router answers; only the one asked is heard.
          for (const [j, other] of routers.entries()) {
            await other.send(["A", "", i === j ? "GOOD" : "WRONG"]);
          }
          // All three answers are in before the next request (which discards the wrong ones),
          // so that none can be taken for the answer to it.
          await request.arrivals.wait(routers.length);
          assert.deepEqual(texts(await request.receive()), ["GOOD"]);
        }
      } finally {
        request.close();
        for (const router of routers) router.close();
      }
    });

    test("puts an empty delimiter in front of the request on the wire", async () => {
      const request = new Request({ receiveTimeout: 5000 });
      const router = new Router({ receiveTimeout: 5000 });
      try {
        await request.bind(bindAddress(transport, "req-format"));
        await connectReady(request, router);
        await request.send(["ABC", "DEF"]);
        const [id, ...rest] = await router.receive();
        assert.ok(id.length > 0, "the router names the peer");
        assert.deepEqual(texts(rest), ["", "ABC", "DEF"]);
        await router.send([id, "", "GHI"]);
        assert.deepEqual(texts(await request.receive()), ["GHI"]);
      } finally {
        request.close();
        router.close();
      }
    });

    test("blocks on sending when it has no peers (EAGAIN after sendTimeout)", async () => {
      const request = new Request({ sendTimeout: 250 });
      try {
        await request.bind(bindAddress(transport, "req-block"));
        const started = Date.now();
        await assert.rejects(request.send(""), { name: "ZmqError", code: "EAGAIN" });
        assert.ok(Date.now() - started >= 200, "the send waited for a peer before giving up");
        request.sendTimeout = 0;
        await assert.rejects(request.send(""), { name: "ZmqError", code: "EAGAIN" });
        // A request that never went out leaves no reply to wait for.
        await assert.rejects(request.receive(), { name: "ZmqError", code: "EFSM" });
      } finally {
        request.close();
      }
    });
  });
}
