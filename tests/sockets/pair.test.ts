// Pair semantics: one peer both ways, send waits for it, a second peer is refused.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Pair } from "../../sockets/pair.ts";
import type { SocketEventType } from "../../sockets/socket_events.ts";
import {
  bindAddress,
  connectReady,
  type LocalTransport,
  text,
  texts,
} from "../fixtures/sockets.ts";

/** Records the types of the events a socket reports. */
function recordEvents(pair: Pair, types: readonly SocketEventType[]): SocketEventType[] {
  const seen: SocketEventType[] = [];
  for (const type of types) pair.events.on(type, () => seen.push(type));
  return seen;
}

for (const transport of ["inproc", "tcp"] as const satisfies LocalTransport[]) {
  describe(`Pair over ${transport}`, () => {
    test("talks to its peer both ways, multipart messages whole", async () => {
      const a = new Pair();
      const b = new Pair();
      try {
        await a.bind(bindAddress(transport, "pair"));
        await connectReady(a, b);
        await a.send(["from a", "", "2"]);
        await b.send("from b");
        assert.deepEqual(texts(await b.receive()), ["from a", "", "2"]);
        assert.deepEqual(texts(await a.receive()), ["from b"]);
      } finally {
        a.close();
        b.close();
      }
    });

    test("send waits while there is no peer", async () => {
      const a = new Pair({ sendTimeout: 0 });
      const b = new Pair();
      try {
        await a.bind(bindAddress(transport, "pair-wait"));
        await assert.rejects(a.send("now"), { code: "EAGAIN" });
        a.sendTimeout = -1;
        const waiting = a.send("when you come");
        await connectReady(a, b);
        await waiting;
        assert.deepEqual(texts(await b.receive()), ["when you come"]);
      } finally {
        a.close();
        b.close();
      }
    });
  });
}

describe("Pair refuses a second peer", () => {
  test("over tcp: the second completes its handshake, is disconnected, and gets in once the first is gone", async () => {
    // What the second sends meanwhile is lost with the refused connections (as with libzmq, whose
    // refused session has no pipe), so the test sends nothing from it until it is accepted.
    const a = new Pair({ receiveTimeout: 5000 });
    const first = new Pair();
    const second = new Pair({ reconnectInterval: 20, receiveTimeout: 5000 });
    try {
      await a.bind(bindAddress("tcp", "pair-second"));
      await connectReady(a, first);
      const aSeen = recordEvents(a, ["handshake", "disconnect", "handshake:error:protocol"]);
      const secondSeen = recordEvents(second, [
        "handshake",
        "disconnect",
        "handshake:error:protocol",
      ]);
      const refused = second.events.next("disconnect");
      second.connect(a.lastEndpoint!);
      await refused;
      // The second saw its handshake succeed, then the connection close; A never reported it as
      // a peer (only its disconnect). Nothing is a protocol error: the second redials.
      assert.deepEqual(secondSeen.slice(0, 2), ["handshake", "disconnect"]);
      assert.deepEqual(aSeen.slice(0, 1), ["disconnect"]);

      // The first peer still works both ways.
      await first.send("from the first");
      assert.deepEqual(texts(await a.receive()), ["from the first"]);
      await a.send("to the first");
      assert.deepEqual(texts(await first.receive()), ["to the first"]);

      // Once the first is gone, the second's next attempt is accepted, and they talk.
      const accepted = a.events.next("handshake");
      first.close();
      await accepted;
      await second.send("from the second");
      assert.deepEqual(texts(await a.receive()), ["from the second"]);
      await a.send("to the second");
      assert.deepEqual(texts(await second.receive()), ["to the second"]);
      assert.equal(aSeen.filter((type) => type === "handshake:error:protocol").length, 0);
    } finally {
      a.close();
      first.close();
      second.close();
    }
  });

  test("over inproc: the second is refused as a protocol error and not linked again", async () => {
    const a = new Pair({ receiveTimeout: 5000 });
    const first = new Pair();
    const second = new Pair();
    try {
      await a.bind(bindAddress("inproc", "pair-second"));
      await connectReady(a, first);
      const refused = second.events.next("handshake:error:protocol");
      second.connect(a.lastEndpoint!);
      const event = await refused;
      assert.equal(event.error?.code, "EPROTO");
      await first.send("from the first");
      assert.equal(text((await a.receive())[0]), "from the first");
      await a.send("to the first");
      assert.equal(text((await first.receive())[0]), "to the first");
      // With the first gone, A has no peer at all: the refused second did not link again.
      first.close();
      a.sendTimeout = 0;
      await assert.rejects(a.send("anyone?"), { code: "EAGAIN" });
    } finally {
      a.close();
      first.close();
      second.close();
    }
  });
});
