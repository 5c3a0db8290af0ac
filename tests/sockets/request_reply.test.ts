// Request and Reply semantics: strict alternation (EFSM), relaxed, correlate, malformed and stale
// replies, replies to departed peers.
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
  texts,
} from "../fixtures/sockets.ts";

const EFSM = { name: "ZmqError", code: "EFSM" };

/** The request id a correlating Request put in its first frame (u32, little-endian as libzmq on x86). */
function requestId(frame: Uint8Array): number {
  assert.equal(frame.length, 4);
  return new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0, true);
}

/** A Request bound and a Reply connected to it over `transport`, both ready. */
async function requestReply(
  transport: LocalTransport,
  options: ConstructorParameters<typeof Request>[0] = {},
): Promise<[ObservedRequest, Reply]> {
  const request = new ObservedRequest({ receiveTimeout: 5000, ...options });
  const reply = new Reply({ receiveTimeout: 5000 });
  await request.bind(bindAddress(transport, "req-rep"));
  await connectReady(request, reply);
  return [request, reply];
}

for (const transport of ["inproc", "tcp"] as const satisfies LocalTransport[]) {
  describe(`Request and Reply over ${transport}`, () => {
    test("alternate strictly: anything else is EFSM", async () => {
      const [request, reply] = await requestReply(transport);
      try {
        await assert.rejects(request.receive(), {
          ...EFSM,
          message: "a REQ socket must send a request before it can receive a reply",
        });
        await assert.rejects(reply.send("unasked"), {
          ...EFSM,
          message: "a REP socket must receive a request before it sends a reply",
        });
        for (let round = 0; round < 3; round++) {
          await request.send(`question ${round}`);
          await assert.rejects(request.send("again"), {
            ...EFSM,
            message:
              "a REQ socket must receive the reply before it sends another request (or set relaxed)",
          });
          assert.deepEqual(texts(await reply.receive()), [`question ${round}`]);
          await assert.rejects(reply.receive(), {
            ...EFSM,
            message: "a REP socket must send the reply before it receives another request",
          });
          await reply.send(`answer ${round}`);
          await assert.rejects(reply.send("twice"), EFSM);
          assert.deepEqual(texts(await request.receive()), [`answer ${round}`]);
          await assert.rejects(request.receive(), EFSM);
        }
      } finally {
        request.close();
        reply.close();
      }
    });

    test("one receive at a time: a second while one waits is EFSM", async () => {
      const [request, reply] = await requestReply(transport);
      try {
        const waiting = reply.receive();
        await assert.rejects(reply.receive(), {
          ...EFSM,
          message: "a REP socket is already waiting for a request; one receive at a time",
        });
        await request.send("question");
        const answered = request.receive();
        await assert.rejects(request.receive(), {
          ...EFSM,
          message: "a REQ socket is already waiting for the reply; one receive at a time",
        });
        assert.deepEqual(texts(await waiting), ["question"]);
        await reply.send("answer");
        assert.deepEqual(texts(await answered), ["answer"]);
        // A receive that timed out leaves the socket able to receive again.
        reply.receiveTimeout = 0;
        await assert.rejects(reply.receive(), { code: "EAGAIN" });
        await request.send("again");
        reply.receiveTimeout = 5000;
        assert.deepEqual(texts(await reply.receive()), ["again"]);
      } finally {
        request.close();
        reply.close();
      }
    });

    test("a Reply serves requests with for await", async () => {
      const [request, reply] = await requestReply(transport);
      try {
        const serving = (async () => {
          for await (const [question] of reply) await reply.send(["echo", question]);
        })();
        for (const word of ["a", "b", "c"]) {
          await request.send(word);
          assert.deepEqual(texts(await request.receive()), ["echo", word]);
        }
        reply.close();
        await serving;
      } finally {
        request.close();
        reply.close();
      }
    });

    test("relaxed: a new request may go before the reply; the late reply answers it", async () => {
      const [request, reply] = await requestReply(transport, { relaxed: true });
      try {
        await request.send("1");
        assert.deepEqual(texts(await reply.receive()), ["1"]);
        await request.send("2");
        await reply.send("reply to 1");
        // Without correlate nothing tells the replies apart (libzmq's documented hazard).
        assert.deepEqual(texts(await request.receive()), ["reply to 1"]);
        assert.deepEqual(texts(await reply.receive()), ["2"]);
        await reply.send("reply to 2");
        // Still no receive without a request outstanding.
        await assert.rejects(request.receive(), EFSM);
        // The next request discards what arrived before it (both replies are in by now).
        await request.arrivals.wait(2);
        await request.send("3");
        assert.deepEqual(texts(await reply.receive()), ["3"]);
        await reply.send("reply to 3");
        assert.deepEqual(texts(await request.receive()), ["reply to 3"]);
      } finally {
        request.close();
        reply.close();
      }
    });

    test("relaxed and correlate: a late reply to an abandoned request is dropped", async () => {
      const [request, reply] = await requestReply(transport, { relaxed: true, correlate: true });
      try {
        await request.send("1");
        assert.deepEqual(texts(await reply.receive()), ["1"]);
        await request.send("2");
        await reply.send("reply to 1");
        assert.deepEqual(texts(await reply.receive()), ["2"]);
        await reply.send("reply to 2");
        assert.deepEqual(texts(await request.receive()), ["reply to 2"]);
      } finally {
        request.close();
        reply.close();
      }
    });

    test("a receive may wait behind a request still waiting for a peer", async () => {
      const request = new Request({ receiveTimeout: 5000 });
      const reply = new Reply({ receiveTimeout: 5000 });
      try {
        await request.bind(bindAddress(transport, "req-early"));
        const sent = request.send("early");
        const answered = request.receive();
        await connectReady(request, reply);
        await sent;
        assert.deepEqual(texts(await reply.receive()), ["early"]);
        await reply.send("late");
        assert.deepEqual(texts(await answered), ["late"]);
      } finally {
        request.close();
        reply.close();
      }
    });
  });
}

describe("Request against a Router", () => {
  /** A Request (routing id "req") connected to a bound Router, both ready. */
  async function requestRouter(
    options: ConstructorParameters<typeof Request>[0] = {},
  ): Promise<[Request, Router]> {
    const request = new Request({ routingId: "req", receiveTimeout: 5000, ...options });
    const router = new Router({ receiveTimeout: 5000 });
    await router.bind(bindAddress("tcp", "req-router"));
    await connectReady(router, request);
    return [request, router];
  }

  test("correlate: a 4-byte request id before the delimiter, one more per request; stale and malformed replies are dropped", async () => {
    const [request, router] = await requestRouter({ correlate: true });
    try {
      assert.equal(request.correlate, true);
      await request.send("hello");
      const [id, first, empty, body] = await router.receive();
      assert.deepEqual(texts([id, empty, body]), ["req", "", "hello"]);
      const firstId = requestId(first);
      await router.send([id, first, "", "world"]);
      assert.deepEqual(texts(await request.receive()), ["world"]);

      await request.send("again");
      const [, second, ...rest] = await router.receive();
      assert.equal(requestId(second), (firstId + 1) >>> 0);
      assert.deepEqual(texts(rest), ["", "again"]);
      await router.send([id, first, "", "stale"]); // the id of the previous request
      await router.send([id, "", "no id"]);
      await router.send([id, second, "no delimiter"]);
      await router.send([id, second, ""]); // no body
      await router.send([id, second, "", "fresh"]);
      assert.deepEqual(texts(await request.receive()), ["fresh"]);
    } finally {
      request.close();
      router.close();
    }
  });

  test("without correlate, a reply must start with the empty delimiter", async () => {
    const [request, router] = await requestRouter();
    try {
      await request.send("hello");
      const [id, ...rest] = await router.receive();
      assert.deepEqual(texts(rest), ["", "hello"]);
      await router.send([id, "no delimiter"]);
      await router.send([id, ""]); // a delimiter with nothing after it
      await router.send([id, "", "good"]);
      assert.deepEqual(texts(await request.receive()), ["good"]);
    } finally {
      request.close();
      router.close();
    }
  });

  test("once the peer asked is gone, the reply may come from another (as libzmq)", async () => {
    const request = new Request({ routingId: "req", receiveTimeout: 5000 });
    const routers = [new Router(), new Router()];
    try {
      await request.bind(bindAddress("tcp", "req-gone"));
      for (const router of routers) await connectReady(request, router);
      await request.send("hello");
      const [id, ...rest] = await routers[0].receive();
      assert.deepEqual(texts([id, ...rest]), ["req", "", "hello"]);
      const gone = request.events.next("disconnect");
      routers[0].close();
      await gone;
      await routers[1].send(["req", "", "from the other"]);
      assert.deepEqual(texts(await request.receive()), ["from the other"]);
    } finally {
      request.close();
      for (const router of routers) router.close();
    }
  });
});

describe("Reply", () => {
  test("drops the reply to a peer that is gone, and serves the next", async () => {
    const reply = new Reply({ receiveTimeout: 5000 });
    const gone = new Request();
    const next = new Request({ receiveTimeout: 5000 });
    try {
      await reply.bind(bindAddress("tcp", "rep-gone"));
      await connectReady(reply, gone);
      await gone.send("question");
      assert.deepEqual(texts(await reply.receive()), ["question"]);
      const left = reply.events.next("disconnect");
      gone.close();
      await left;
      await reply.send("nobody listens"); // resolves: dropped, as libzmq does
      await connectReady(reply, next);
      await next.send("another");
      assert.deepEqual(texts(await reply.receive()), ["another"]);
      await reply.send("answer");
      assert.deepEqual(texts(await next.receive()), ["answer"]);
    } finally {
      reply.close();
      gone.close();
      next.close();
    }
  });
});

describe("Request options", () => {
  test("relaxed and correlate are booleans, false by default, settable as properties", () => {
    const request = new Request();
    try {
      assert.equal(request.relaxed, false);
      assert.equal(request.correlate, false);
      request.relaxed = true;
      request.correlate = true;
      assert.equal(request.relaxed, true);
      assert.equal(request.correlate, true);
      assert.throws(() => new Request({ relaxed: "yes" as unknown as boolean }), TypeError);
      assert.throws(() => {
        request.correlate = 1 as unknown as boolean;
      }, TypeError);
      assert.throws(() => new Request({ nonsense: true } as object), TypeError);
    } finally {
      request.close();
    }
  });
});

describe("Request probeRouter", () => {
  test("a Router hears an empty probe from each new Request peer before its first request", async () => {
    const router = new Router();
    const request = new Request({ probeRouter: true, routingId: "req" });
    try {
      await router.bind("tcp://127.0.0.1:0");
      request.connect(router.lastEndpoint!);
      const [id, probe] = await router.receive();
      assert.equal(new TextDecoder().decode(id), "req");
      assert.equal(probe.length, 0);
      await request.send("question");
      const [, delimiter, body] = await router.receive();
      assert.equal(delimiter.length, 0);
      assert.equal(new TextDecoder().decode(body), "question");
    } finally {
      request.close();
      router.close();
    }
  });
});
