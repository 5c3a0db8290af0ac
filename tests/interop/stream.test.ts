// Our Stream against libzmq's Stream (ZMQ_STREAM), each side binding in turn: raw bytes both
// ways, the connect and disconnect notifications, closing a connection with empty data.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import "../../mod.ts";
import { Stream } from "../../sockets/stream.ts";
import { ipcAddress, type LibzmqPeer, startLibzmqPeer } from "../fixtures/libzmq.ts";
import {
  assertSameBytes,
  collectBytes,
  randomBytes,
  receiveNotification,
} from "../fixtures/stream_data.ts";

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
/** How long our receives may wait: a missing message fails with EAGAIN instead of hanging. */
const WAIT = 5000;

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

    describe(`Stream interop over ${transport}, ${direction}`, () => {
      test("notifications, bytes both ways, and closing with empty data", async () => {
        const name = `stream${count++}`;
        await peer.socket(name, "Stream");
        const ours = new Stream({ receiveTimeout: WAIT, reconnectInterval: 20 });
        const theirs = (): Promise<Uint8Array[]> => peer.receive(name);
        const mine = (): Promise<Uint8Array[]> => ours.receive();
        try {
          const address = transport === "tcp" ? "tcp://127.0.0.1:0" : ipcAddress("stream");
          if (weBind) {
            await ours.bind(address);
            await peer.connect(name, ours.lastEndpoint!);
          } else {
            ours.connect(await peer.bind(name, address), { routingId: "libzmq" });
          }
          // Both sides announce the new connection with an empty frame.
          const ourId = await receiveNotification(mine);
          const theirId = await receiveNotification(theirs);
          if (!weBind) assert.equal(text(ourId), "libzmq");
          assert.equal(theirId.length, 5);
          assert.equal(theirId[0], 0);

          await peer.send(name, [theirId, "hello from libzmq"]);
          assert.equal(text(await collectBytes(mine, ourId, 17)), "hello from libzmq");
          await ours.send([ourId, "hello from monocoque"]);
          assert.equal(text(await collectBytes(theirs, theirId, 20)), "hello from monocoque");

          // No framing: what one side sends in one message may arrive in several chunks.
          const big = randomBytes(256 * 1024);
          await ours.send([ourId, big]);
          assertSameBytes(await collectBytes(theirs, theirId, big.length), big);
          await peer.send(name, [theirId, big]);
          assertSameBytes(await collectBytes(mine, ourId, big.length), big);

          // zeromq.js lets libzmq finish closing a connection only while its socket is polled,
          // so a receive is pending on it whenever libzmq closes one.
          // The binding side closes the connection: the connecting side is told and dials
          // again, keeping its routing id; the binding side sees a new peer. Neither side is
          // told of a close it made itself.
          let newOurId: Uint8Array;
          let newTheirId: Uint8Array;
          if (weBind) {
            await ours.send([ourId, ""]);
            assert.deepEqual(await receiveNotification(theirs), theirId);
            newTheirId = await receiveNotification(theirs);
            assert.deepEqual(newTheirId, theirId);
            newOurId = await receiveNotification(mine);
            assert.notDeepEqual(newOurId, ourId);
          } else {
            const next = receiveNotification(theirs);
            next.catch(() => {}); // awaited below; not unhandled if a step before it fails
            await peer.send(name, [theirId, ""]);
            assert.deepEqual(await receiveNotification(mine), ourId);
            newOurId = await receiveNotification(mine);
            assert.deepEqual(newOurId, ourId);
            newTheirId = await next;
            assert.notDeepEqual(newTheirId, theirId);
          }
          await ours.send([newOurId, "again"]);
          assert.equal(text(await collectBytes(theirs, newTheirId, 5)), "again");
          await peer.send(name, [newTheirId, "back"]);
          assert.equal(text(await collectBytes(mine, newOurId, 4)), "back");

          // The connecting side closes for good: the binding side is told.
          if (weBind) {
            // Bounded: libzmq neither tells itself of its own close nor dials again.
            const polled = peer.receive(name, { timeout: 500 });
            polled.catch(() => {}); // awaited below; not unhandled if a step before it fails
            await peer.send(name, [newTheirId, ""]);
            assert.deepEqual(await receiveNotification(mine), newOurId);
            await assert.rejects(polled, { code: "EAGAIN" });
          } else {
            await ours.send([newOurId, ""]);
            assert.deepEqual(await receiveNotification(theirs), newTheirId);
          }
        } finally {
          ours.close();
          await peer.close(name);
        }
      });
    });
  }
}
