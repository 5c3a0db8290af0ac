// Our Request and Reply against libzmq's, over tcp and ipc, each side binding in turn: two
// request/reply rounds each way, plain and with request ids (ZMQ_REQ_CORRELATE).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Reply } from "../../sockets/reply.ts";
import { Request } from "../../sockets/request.ts";
import { Router } from "../../sockets/router.ts";
import { type LibzmqPeer, startLibzmqPeer } from "../fixtures/libzmq.ts";
import { linkWithLibzmq } from "../fixtures/libzmq_link.ts";
import { texts } from "../fixtures/sockets.ts";

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
      for (const correlate of [false, true]) {
        const label = correlate ? " with correlate" : "";

        test(`our Request${label} ↔ libzmq Reply: two rounds`, async () => {
          const name = `rep${count++}`;
          await peer.socket(name, "Reply");
          const request = new Request({ correlate, receiveTimeout: 10_000 });
          try {
            await linkWithLibzmq(peer, transport, weBind, request, name);
            for (let round = 0; round < 2; round++) {
              await request.send(["question", String(round)]);
              assert.deepEqual(texts(await peer.receive(name)), ["question", String(round)]);
              await peer.send(name, ["answer", String(round)]);
              assert.deepEqual(texts(await request.receive()), ["answer", String(round)]);
            }
          } finally {
            request.close();
            await peer.close(name);
          }
        });

        test(`libzmq Request${label} ↔ our Reply: two rounds`, async () => {
          const name = `req${count++}`;
          await peer.socket(name, "Request", { correlate });
          const reply = new Reply({ receiveTimeout: 10_000 });
          try {
            await linkWithLibzmq(peer, transport, weBind, reply, name);
            for (let round = 0; round < 2; round++) {
              await peer.send(name, ["question", String(round)]);
              assert.deepEqual(texts(await reply.receive()), ["question", String(round)]);
              await reply.send(["answer", String(round)]);
              assert.deepEqual(texts(await peer.receive(name)), ["answer", String(round)]);
            }
          } finally {
            reply.close();
            await peer.close(name);
          }
        });
      }

      test("libzmq correlating Request → our Router: its request id is a little-endian counter, as ours", async () => {
        const name = `req${count++}`;
        await peer.socket(name, "Request", { correlate: true, routingId: "their-req" });
        const router = new Router({ receiveTimeout: 10_000 });
        try {
          await linkWithLibzmq(peer, transport, weBind, router, name);
          const ids: number[] = [];
          for (let round = 0; round < 2; round++) {
            await peer.send(name, `question ${round}`);
            const [id, requestId, ...rest] = await router.receive();
            assert.deepEqual(texts([id, ...rest]), ["their-req", "", `question ${round}`]);
            assert.equal(requestId.length, 4);
            ids.push(new DataView(requestId.buffer, requestId.byteOffset, 4).getUint32(0, true));
            await router.send([id, requestId, "", `answer ${round}`]);
            assert.deepEqual(texts(await peer.receive(name)), [`answer ${round}`]);
          }
          assert.equal(ids[1], (ids[0] + 1) >>> 0);
        } finally {
          router.close();
          await peer.close(name);
        }
      });
    });
  }
}
