// Our Dealer and Router against libzmq's, over tcp and ipc, each side binding in turn.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Dealer, Router } from "../../mod.ts";
import { linkWithLibzmq } from "../fixtures/libzmq_link.ts";
import { libzmqPeerPerFile } from "../fixtures/libzmq_per_file.ts";
import { interopMessages, plain } from "../fixtures/messages.ts";

const encoder = new TextEncoder();
const { peer, name: socketName } = libzmqPeerPerFile();

for (const transport of ["tcp", "ipc"] as const) {
  for (const weBind of [true, false]) {
    const direction = weBind ? "we bind" : "libzmq binds";

    describe(`interop over ${transport}, ${direction}`, () => {
      test("our Dealer ↔ libzmq Router: routing id, every frame shape, replies", async () => {
        const name = socketName("router");
        await peer().socket(name, "Router");
        const dealer = new Dealer({ routingId: "our-dealer" });
        try {
          await linkWithLibzmq(peer(), transport, weBind, dealer, name);
          const messages = interopMessages();
          for (const message of messages) await dealer.send(message);
          for (const message of messages) {
            const [id, ...frames] = await peer().receive(name);
            assert.deepEqual(id, encoder.encode("our-dealer"));
            assert.deepEqual(frames, message);
            await peer().send(name, [id, ...frames]);
          }
          for (const message of messages) {
            assert.deepEqual(plain(await dealer.receive()), message);
          }
        } finally {
          dealer.close();
          await peer().close(name);
        }
      });

      test("our Router ↔ libzmq Dealer: peer identity honoured, every frame shape, replies", async () => {
        const name = socketName("dealer");
        await peer().socket(name, "Dealer", { routingId: "their-dealer" });
        const router = new Router();
        try {
          await linkWithLibzmq(peer(), transport, weBind, router, name);
          const messages = interopMessages();
          for (const message of messages) await peer().send(name, message);
          for (const message of messages) {
            const [id, ...frames] = await router.receive();
            assert.deepEqual(plain([id]), [encoder.encode("their-dealer")]);
            assert.deepEqual(plain(frames), message);
            await router.send([id, ...frames]);
          }
          for (const message of messages) {
            assert.deepEqual(await peer().receive(name), message);
          }
        } finally {
          router.close();
          await peer().close(name);
        }
      });

      test("our Router generates a libzmq-style id for an anonymous libzmq Dealer", async () => {
        const name = socketName("anon");
        await peer().socket(name, "Dealer");
        const router = new Router();
        try {
          await linkWithLibzmq(peer(), transport, weBind, router, name);
          await peer().send(name, "hi");
          const [id, body] = await router.receive();
          assert.equal(id.length, 5);
          assert.equal(id[0], 0);
          assert.deepEqual(plain([body]), [encoder.encode("hi")]);
          await router.send([id, "back"]);
          assert.deepEqual(await peer().receive(name), [encoder.encode("back")]);
        } finally {
          router.close();
          await peer().close(name);
        }
      });
    });
  }
}
