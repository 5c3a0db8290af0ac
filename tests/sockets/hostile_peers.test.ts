// Bad input closes that one connection with a monitor event that says why;
// the socket keeps serving its other peers.
import assert from "node:assert/strict";
import { createServer, type Server, type Socket as NetSocket } from "node:net";
import { describe, test } from "node:test";
import { Dealer, Router, type SocketEvent, type SocketEventType } from "../../mod.ts";
import { nullGreeting, RawPeer, readyFrame } from "../fixtures/raw_peer.ts";

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** A Router with one well-behaved Dealer, checked to still work after each hostile peer. */
async function withRouter(
  options: ConstructorParameters<typeof Router>[0],
  body: (router: Router, events: SocketEvent[]) => Promise<void>,
): Promise<void> {
  const router = new Router(options);
  const good = new Dealer({ routingId: "good" });
  const events: SocketEvent[] = [];
  for (const type of ["handshake:error:protocol", "disconnect"] as SocketEventType[]) {
    router.events.on(type, (event) => events.push(event));
  }
  try {
    await router.bind("tcp://127.0.0.1:0");
    good.connect(router.lastEndpoint!);
    await body(router, events);
    await good.send("still served?");
    const [id, body_] = await router.receive();
    assert.equal(text(id), "good");
    assert.equal(text(body_), "still served?");
    await router.send([id, "yes"]);
    assert.equal(text((await good.receive())[0]), "yes");
  } finally {
    router.close();
    good.close();
  }
}

/** Resolves with the next protocol-error event, after which the raw peer's connection is closed. */
async function refusedWith(router: Router, peer: RawPeer): Promise<SocketEvent> {
  const event = await router.events.next("handshake:error:protocol");
  await peer.closed;
  return event;
}

describe("hostile peers", () => {
  test("a greeting that is not ZMTP is refused", async () => {
    await withRouter({}, async (router) => {
      const peer = await RawPeer.connect(router.lastEndpoint!);
      const refused = refusedWith(router, peer);
      peer.write(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"));
      const event = await refused;
      assert.match(event.error!.message, /not a ZMTP 3 peer/);
      assert.equal(event.error!.code, "EPROTO");
    });
  });

  test("a ZMTP 2.0 peer is refused as soon as its revision byte arrives", async () => {
    await withRouter({}, async (router) => {
      const peer = await RawPeer.connect(router.lastEndpoint!);
      const refused = refusedWith(router, peer);
      // Signature then revision 01: a 2.0 peer would now wait for our socket type.
      peer.write(new Uint8Array([0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 1]));
      assert.match((await refused).error!.message, /ZMTP 2\.0/);
    });
  });

  test("another security mechanism is refused", async () => {
    await withRouter({}, async (router) => {
      const peer = await RawPeer.connect(router.lastEndpoint!);
      const refused = refusedWith(router, peer);
      const greeting = nullGreeting();
      greeting.set(new TextEncoder().encode("CURVE"), 12);
      peer.write(greeting);
      assert.match((await refused).error!.message, /"CURVE" security mechanism/);
    });
  });

  test("an incompatible socket type is refused before it reaches the socket", async () => {
    await withRouter({}, async (router) => {
      const peer = await RawPeer.connect(router.lastEndpoint!);
      const refused = refusedWith(router, peer);
      peer.write(nullGreeting());
      peer.write(readyFrame("PUB"));
      // A message the PUB peer sends must never be delivered.
      peer.write(new Uint8Array([0x00, 0x03, 0x61, 0x62, 0x63]));
      assert.match((await refused).error!.message, /"PUB" cannot talk to ROUTER/);
    });
  });

  test("an invented socket type is refused", async () => {
    await withRouter({}, async (router) => {
      const peer = await RawPeer.connect(router.lastEndpoint!);
      const refused = refusedWith(router, peer);
      peer.write(nullGreeting());
      peer.write(readyFrame("TEAPOT"));
      assert.match((await refused).error!.message, /"TEAPOT"/);
    });
  });

  test("a frame over maxMessageSize is refused from its size field", async () => {
    await withRouter({ maxMessageSize: 1000 }, async (router) => {
      const peer = await RawPeer.connect(router.lastEndpoint!);
      const refused = refusedWith(router, peer);
      peer.write(nullGreeting());
      peer.write(readyFrame("DEALER"));
      // Long frame claiming 2^40 bytes; none of the body is ever sent.
      peer.write(new Uint8Array([0x02, 0, 0, 1, 0, 0, 0, 0, 0]));
      const event = await refused;
      assert.ok(event.error!.code === "EMSGSIZE" || event.error!.code === "EPROTO");
      assert.match(event.error!.message, /frame/);
    });
  });

  test("a frame of 1001 bytes over a 1000-byte limit is refused with EMSGSIZE", async () => {
    await withRouter({ maxMessageSize: 1000 }, async (router) => {
      const peer = await RawPeer.connect(router.lastEndpoint!);
      const refused = refusedWith(router, peer);
      peer.write(nullGreeting());
      peer.write(readyFrame("DEALER"));
      peer.write(new Uint8Array([0x02, 0, 0, 0, 0, 0, 0, 0x03, 0xe9]));
      const event = await refused;
      assert.equal(event.error!.code, "EMSGSIZE");
      assert.match(event.error!.message, /1001 bytes, over the limit of 1000/);
    });
  });

  test("a second READY after the handshake is a protocol error", async () => {
    await withRouter({}, async (router) => {
      const peer = await RawPeer.connect(router.lastEndpoint!);
      const refused = refusedWith(router, peer);
      peer.write(nullGreeting());
      peer.write(readyFrame("DEALER"));
      peer.write(readyFrame("DEALER"));
      assert.match((await refused).error!.message, /READY command after the handshake/);
    });
  });

  test("a peer that never finishes its handshake is dropped after handshakeInterval", async () => {
    await withRouter({ handshakeInterval: 100 }, async (router, events) => {
      const peer = await RawPeer.connect(router.lastEndpoint!);
      const dropped = router.events.next("disconnect");
      peer.write(nullGreeting().subarray(0, 20));
      const event = await dropped;
      await peer.closed;
      assert.equal(event.error!.code, "ETIMEDOUT");
      assert.match(event.error!.message, /handshake not completed within 100 ms/);
      assert.equal(events.filter((e) => e.type === "handshake:error:protocol").length, 0);
    });
  });

  test("a peer that dies mid-message delivers nothing of it", async () => {
    await withRouter({}, async (router) => {
      const peer = await RawPeer.connect(router.lastEndpoint!);
      const handshake = router.events.next("handshake");
      peer.write(nullGreeting());
      peer.write(readyFrame("DEALER", [["Identity", new TextEncoder().encode("dying")]]));
      await handshake;
      const gone = router.events.next("disconnect");
      // One whole message, then the first frame of another (MORE set) and half of its second.
      peer.write(new Uint8Array([0x00, 0x05, ...new TextEncoder().encode("whole")]));
      peer.write(new Uint8Array([0x01, 0x01, 0x61, 0x00, 0x05, 0x62]));
      peer.end();
      await gone;
      const [id, body] = await router.receive();
      assert.equal(text(id), "dying");
      assert.equal(text(body), "whole");
      // The next message is the good peer's (checked by withRouter): the half message never appears.
    });
  });

  test("PINGs are answered with the context echoed; unknown commands are ignored", async () => {
    await withRouter({}, async (router) => {
      const peer = await RawPeer.connect(router.lastEndpoint!);
      const handshake = router.events.next("handshake");
      peer.write(nullGreeting());
      peer.write(readyFrame("DEALER"));
      await handshake;
      // An unknown command, then PING with TTL 0 and context "ctx1" (digest §7 vector).
      peer.write(new Uint8Array([0x04, 0x05, 0x04, 0x4a, 0x55, 0x4e, 0x4b]));
      peer.write(
        new Uint8Array([
          0x04,
          0x0b,
          0x04,
          0x50,
          0x49,
          0x4e,
          0x47,
          0x00,
          0x00,
          0x63,
          0x74,
          0x78,
          0x31,
        ]),
      );
      const pong = [0x04, 0x09, 0x04, 0x50, 0x4f, 0x4e, 0x47, 0x63, 0x74, 0x78, 0x31];
      // Our greeting (64) and READY (43 bytes for a ROUTER) come first.
      const received = await peer.receivedAtLeast(64 + 43 + pong.length);
      assert.deepEqual([...received.subarray(64 + 43, 64 + 43 + pong.length)], pong);
      peer.close();
    });
  });
});

describe("reconnection after failures", () => {
  /** A TCP server that counts connections and treats each one as `handle` says. */
  async function countingServer(handle: (socket: NetSocket) => void): Promise<{
    server: Server;
    address: string;
    connections: () => number;
    nextConnection: () => Promise<void>;
  }> {
    let count = 0;
    let waiters: (() => void)[] = [];
    const server = createServer((socket) => {
      count++;
      socket.on("error", () => {});
      handle(socket);
      const current = waiters;
      waiters = [];
      for (const waiter of current) waiter();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    return {
      server,
      address: `tcp://127.0.0.1:${port}`,
      connections: () => count,
      nextConnection: () => new Promise((resolve) => waiters.push(resolve)),
    };
  }

  test("a connection closed by the peer is made again", async () => {
    const peer = await countingServer((socket) => socket.destroy());
    const dealer = new Dealer({ reconnectInterval: 10 });
    try {
      const third = (async () => {
        while (peer.connections() < 3) await peer.nextConnection();
      })();
      dealer.connect(peer.address);
      await third;
      assert.ok(peer.connections() >= 3);
    } finally {
      dealer.close();
      peer.server.close();
    }
  });

  test("after a protocol error the endpoint is not dialled again, as libzmq does", async () => {
    const peer = await countingServer((socket) =>
      socket.write(new TextEncoder().encode("garbage!garbage!"))
    );
    const dealer = new Dealer({ reconnectInterval: 10 });
    try {
      const refused = dealer.events.next("handshake:error:protocol");
      dealer.connect(peer.address);
      await refused;
      // Twenty reconnect intervals of silence: the absence of a dial is what is under test.
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(peer.connections(), 1);
    } finally {
      dealer.close();
      peer.server.close();
    }
  });
});
