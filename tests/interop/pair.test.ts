// Our Pair against libzmq's, over tcp and ipc, each side binding in turn: every frame shape, both
// ways.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Pair } from "../../sockets/pair.ts";
import { type LibzmqPeer, startLibzmqPeer } from "../fixtures/libzmq.ts";
import { linkWithLibzmq } from "../fixtures/libzmq_link.ts";
import { interopMessages, plain } from "../fixtures/messages.ts";

let peer: LibzmqPeer;
let count = 0;

before(async () => {
  peer = await startLibzmqPeer();
});
after(async () => {
  await peer.stop();
});

for (const transport of ["tcp", "ipc"] as const) {
  for (const weBind of [true, false]) {
    const direction = weBind ? "we bind" : "libzmq binds";

    describe(`interop over ${transport}, ${direction}`, () => {
      test("our Pair ↔ libzmq Pair: every frame shape, both ways", async () => {
        const name = `pair${count++}`;
        await peer.socket(name, "Pair");
        const pair = new Pair({ receiveTimeout: 10_000 });
        try {
          await linkWithLibzmq(peer, transport, weBind, pair, name);
          const messages = interopMessages();
          for (const message of messages) await pair.send(message);
          for (const message of messages) assert.deepEqual(await peer.receive(name), message);
          for (const message of messages) await peer.send(name, message);
          for (const message of messages) assert.deepEqual(plain(await pair.receive()), message);
        } finally {
          pair.close();
          await peer.close(name);
        }
      });
    });
  }
}
