// Our Router's mandatory and handover options, and probeRouter both ways, against libzmq
// Dealers and Routers, over tcp and ipc, each side binding in turn.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ZmqError } from "../../core/errors.ts";
import { Dealer } from "../../sockets/dealer.ts";
import { Router } from "../../sockets/router.ts";
import { type LibzmqPeer, startLibzmqPeer } from "../fixtures/libzmq.ts";
import { linkWithLibzmq } from "../fixtures/libzmq_link.ts";
import { texts } from "../fixtures/sockets.ts";

const encoder = new TextEncoder();
let peer: LibzmqPeer;
let count = 0;

before(async () => {
  peer = await startLibzmqPeer();
});
after(async () => {
  await peer.stop();
});

/**
 * Links our socket and a libzmq one, and resolves once our side reports the handshake (so a
 * Router of ours knows the peer's id). A second peer of ours, when we bind, connects to where
 * the first one did.
 */
async function link(
  transport: "tcp" | "ipc",
  weBind: boolean,
  ours: Router | Dealer,
  theirs: string,
): Promise<void> {
  const ready = ours.events.next("handshake");
  if (weBind && ours.lastEndpoint !== null) await peer.connect(theirs, ours.lastEndpoint);
  else await linkWithLibzmq(peer, transport, weBind, ours, theirs);
  await ready;
}

for (const transport of ["tcp", "ipc"] as const) {
  for (const weBind of [true, false]) {
    const direction = weBind ? "we bind" : "libzmq binds";

    describe(`Router options with libzmq over ${transport}, ${direction}`, () => {
      test("mandatory: EHOSTUNREACH for an unknown id, delivery to a known libzmq Dealer", async () => {
        const name = `dealer${count++}`;
        await peer.socket(name, "Dealer", { routingId: "known" });
        const router = new Router({ mandatory: true });
        try {
          await link(transport, weBind, router, name);
          await assert.rejects(
            router.send(["unknown", "x"]),
            (error) => error instanceof ZmqError && error.code === "EHOSTUNREACH",
          );
          await router.send(["known", "hello", "two frames"]);
          assert.deepEqual(await peer.receive(name), [
            encoder.encode("hello"),
            encoder.encode("two frames"),
          ]);
        } finally {
          router.close();
          await peer.close(name);
        }
      });

      test("handover: a second libzmq Dealer with the same id takes it over, the first is dropped", async () => {
        const first = `first${count++}`;
        const second = `second${count++}`;
        // Neither end may reconnect the dropped connection: it would take the id back.
        await peer.socket(first, "Dealer", { routingId: "same", reconnectInterval: -1 });
        await peer.socket(second, "Dealer", { routingId: "same" });
        const firstEvents = await peer.events(first);
        const router = new Router({ handover: true, reconnectInterval: -1 });
        try {
          await link(transport, weBind, router, first);
          await peer.send(first, "from first");
          assert.deepEqual(texts(await router.receive()), ["same", "from first"]);
          await link(transport, weBind, router, second);
          // As libzmq does, the old connection is closed.
          await firstEvents.waitFor("disconnect");
          await router.send(["same", "to the newcomer"]);
          assert.deepEqual(await peer.receive(second), [encoder.encode("to the newcomer")]);
          await peer.send(second, "from second");
          assert.deepEqual(texts(await router.receive()), ["same", "from second"]);
        } finally {
          router.close();
          await peer.close(first);
          await peer.close(second);
        }
      });

      test("without handover the second libzmq Dealer with the id in use is never routed", async () => {
        const first = `first${count++}`;
        const second = `second${count++}`;
        await peer.socket(first, "Dealer", { routingId: "same" });
        await peer.socket(second, "Dealer", { routingId: "same" });
        const router = new Router();
        try {
          await link(transport, weBind, router, first);
          await link(transport, weBind, router, second);
          await router.send(["same", "reply"]);
          assert.deepEqual(await peer.receive(first), [encoder.encode("reply")]);
          await peer.send(second, "never delivered");
          await peer.send(first, "delivered");
          assert.deepEqual(texts(await router.receive()), ["same", "delivered"]);
          // Bounded waits, only to show that nothing more arrives on either side.
          router.receiveTimeout = 200;
          await assert.rejects(router.receive(), { code: "EAGAIN" });
          await assert.rejects(peer.receive(second, { timeout: 200 }), { code: "EAGAIN" });
        } finally {
          router.close();
          await peer.close(first);
          await peer.close(second);
        }
      });

      test("probeRouter: our Dealer's probe reaches a libzmq Router, a libzmq Dealer's reaches ours", async () => {
        const theirRouter = `router${count++}`;
        const theirDealer = `dealer${count++}`;
        await peer.socket(theirRouter, "Router");
        await peer.socket(theirDealer, "Dealer", { routingId: "their-dealer", probeRouter: true });
        const dealer = new Dealer({ routingId: "our-dealer", probeRouter: true });
        const router = new Router();
        try {
          await link(transport, weBind, dealer, theirRouter);
          assert.deepEqual(await peer.receive(theirRouter), [
            encoder.encode("our-dealer"),
            new Uint8Array(0),
          ]);
          await link(transport, weBind, router, theirDealer);
          // libzmq attaches an accepted connection (and writes its probe) only when the
          // application next uses the socket: this send. The probe comes first either way.
          await peer.send(theirDealer, "after the probe");
          assert.deepEqual(texts(await router.receive()), ["their-dealer", ""]);
          assert.deepEqual(texts(await router.receive()), ["their-dealer", "after the probe"]);
        } finally {
          dealer.close();
          router.close();
          await peer.close(theirRouter);
          await peer.close(theirDealer);
        }
      });
    });
  }
}
