// Our Publisher and Subscriber against libzmq's, over tcp and ipc, each side binding in turn.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Publisher, Subscriber } from "../../mod.ts";
import { linkWithLibzmq } from "../fixtures/libzmq_link.ts";
import { libzmqPeerPerFile } from "../fixtures/libzmq_per_file.ts";
import { interopMessages, plain } from "../fixtures/messages.ts";
import { untilSubscribed } from "../fixtures/security.ts";

const encoder = new TextEncoder();
const { peer, name: socketName } = libzmqPeerPerFile();

/** With the topic prefix "A", messages are the interop shapes whose first frame starts with "A". */
function topicMessages(): Uint8Array[][] {
  return interopMessages().map(([first, ...rest]) => {
    const topic = new Uint8Array(first.length + 1);
    topic[0] = 0x41;
    topic.set(first, 1);
    return [topic, ...rest];
  });
}

for (const transport of ["tcp", "ipc"] as const) {
  for (const weBind of [true, false]) {
    const direction = weBind ? "we bind" : "libzmq binds";

    describe(`interop over ${transport}, ${direction}`, () => {
      test("our Publisher → libzmq Subscriber: filtered by prefix, every frame shape", async () => {
        const name = socketName("sub");
        await peer().socket(name, "Subscriber");
        await peer().subscribe(name, "A");
        const publisher = new Publisher();
        try {
          await linkWithLibzmq(peer(), transport, weBind, publisher, name);
          await untilSubscribed(
            () => publisher.send(["A-probe"]),
            peer().receive(name),
          );
          // Probes still in flight arrive first; "A-start" marks the end of them.
          await publisher.send(["B-filtered"]);
          const messages = topicMessages();
          await publisher.send(["A-start"]);
          for (const message of messages) {
            await publisher.send(["B-filtered", "out"]);
            await publisher.send(message);
          }
          let first = await peer().receive(name);
          while (new TextDecoder().decode(first[0]) === "A-probe") {
            first = await peer().receive(name);
          }
          assert.deepEqual(first, [encoder.encode("A-start")]);
          for (const message of messages) assert.deepEqual(await peer().receive(name), message);
        } finally {
          publisher.close();
          await peer().close(name);
        }
      });

      test("libzmq Publisher → our Subscriber: filtered by prefix, every frame shape", async () => {
        const name = socketName("pub");
        await peer().socket(name, "Publisher");
        const subscriber = new Subscriber();
        subscriber.subscribe("A");
        try {
          await linkWithLibzmq(peer(), transport, weBind, subscriber, name);
          await untilSubscribed(() => peer().send(name, ["A-probe"]), subscriber.receive());
          const messages = topicMessages();
          await peer().send(name, ["A-start"]);
          for (const message of messages) {
            await peer().send(name, ["B-filtered", "out"]);
            await peer().send(name, message);
          }
          let first = await subscriber.receive();
          while (new TextDecoder().decode(first[0]) === "A-probe") {
            first = await subscriber.receive();
          }
          assert.deepEqual(plain(first), [encoder.encode("A-start")]);
          for (const message of messages) {
            assert.deepEqual(plain(await subscriber.receive()), message);
          }
        } finally {
          subscriber.close();
          await peer().close(name);
        }
      });
    });
  }
}
