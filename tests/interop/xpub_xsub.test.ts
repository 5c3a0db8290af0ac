// XPublisher/XSubscriber forwarders with libzmq on either side, over tcp and ipc, each side
// binding in turn:
// - a libzmq XPublisher upstream → our XSubscriber, Proxy, XPublisher → a libzmq Subscriber;
// - our XPublisher upstream → libzmq XSubscriber, XPublisher (relayed by the test) → our
//   XSubscriber. libzmq's XSUB sends the subscriptions it is given as plain `01 topic`
//   messages even over ZMTP 3.1, so this also proves our XPublisher takes that form.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Proxy } from "../../sockets/proxy.ts";
import { XPublisher } from "../../sockets/xpublisher.ts";
import { XSubscriber } from "../../sockets/xsubscriber.ts";
import { type LibzmqPeer, startLibzmqPeer } from "../fixtures/libzmq.ts";
import { linkWithLibzmq } from "../fixtures/libzmq_link.ts";
import { interopMessages, plain } from "../fixtures/messages.ts";
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

/** A subscription change as XPUB reports it and XSUB takes it: 01/00 then the topic. */
function change(subscribe: boolean, topic: string): Uint8Array {
  return Uint8Array.of(subscribe ? 1 : 0, ...encoder.encode(topic));
}

/** The interop message shapes, each after a topic frame "A" (the shapes travel whole). */
function topicMessages(): Uint8Array[][] {
  return interopMessages().map((message) => [encoder.encode("A"), ...message]);
}

for (const transport of ["tcp", "ipc"] as const) {
  for (const weBind of [true, false]) {
    const direction = weBind ? "we bind" : "libzmq binds";

    describe(`XPUB/XSUB forwarding with libzmq over ${transport}, ${direction}`, () => {
      test("libzmq XPublisher → our XSubscriber, Proxy, XPublisher → libzmq Subscriber", async () => {
        const upstream = `xpub${count++}`;
        const subscriber = `sub${count++}`;
        await peer.socket(upstream, "XPublisher");
        await peer.socket(subscriber, "Subscriber");
        const frontEnd = new XSubscriber();
        const backEnd = new XPublisher();
        const proxy = new Proxy(frontEnd, backEnd);
        const running = proxy.run();
        try {
          await linkWithLibzmq(peer, transport, weBind, frontEnd, upstream);
          await linkWithLibzmq(peer, transport, weBind, backEnd, subscriber);
          // libzmq attaches an accepted connection only when the application uses the socket:
          // a receive waiting from now on lets the Subscriber send its subscription.
          const first = peer.receive(subscriber);
          await peer.subscribe(subscriber, "A");
          // The subscription went through our XPublisher, the proxy and our XSubscriber.
          assert.deepEqual(await peer.receive(upstream), [change(true, "A")]);
          const messages = topicMessages();
          for (const message of messages) {
            await peer.send(upstream, ["B-filtered", "out"]);
            await peer.send(upstream, message);
          }
          assert.deepEqual(await first, messages[0]);
          for (const message of messages.slice(1)) {
            assert.deepEqual(await peer.receive(subscriber), message);
          }
          await peer.unsubscribe(subscriber, "A");
          assert.deepEqual(await peer.receive(upstream), [change(false, "A")]);
        } finally {
          proxy.terminate();
          await running;
          frontEnd.close();
          backEnd.close();
          await peer.close(upstream);
          await peer.close(subscriber);
        }
      });

      test("our XPublisher → libzmq XSubscriber, XPublisher → our XSubscriber, both ways", async () => {
        const middleSub = `xsub${count++}`;
        const middlePub = `xpub${count++}`;
        await peer.socket(middleSub, "XSubscriber");
        await peer.socket(middlePub, "XPublisher");
        const upstream = new XPublisher();
        const downstream = new XSubscriber();
        try {
          await linkWithLibzmq(peer, transport, weBind, upstream, middleSub);
          await linkWithLibzmq(peer, transport, weBind, downstream, middlePub);
          // Our XSubscriber's SUBSCRIBE command reaches libzmq's XPublisher; the test relays
          // the report to libzmq's XSubscriber, which sends it on to ours as a message.
          await downstream.send(change(true, "A"));
          const report = await peer.receive(middlePub);
          assert.deepEqual(report, [change(true, "A")]);
          await peer.send(middleSub, report);
          assert.deepEqual(await upstream.receive(), [change(true, "A")]);
          // Messages down: filtered by topic at our XPublisher, relayed by the test.
          const messages = topicMessages();
          for (const message of messages) {
            await upstream.send(["B-filtered"]);
            await upstream.send(message);
          }
          for (const message of messages) {
            const received = await peer.receive(middleSub);
            assert.deepEqual(received, message);
            await peer.send(middlePub, received);
            assert.deepEqual(plain(await downstream.receive()), message);
          }
          // A message up, from our XSubscriber to our XPublisher through libzmq's pair.
          await downstream.send(["hello", "upstream"]);
          const up = await peer.receive(middlePub);
          await peer.send(middleSub, up);
          assert.deepEqual(texts(await upstream.receive()), ["hello", "upstream"]);
          // The cancel travels the same way.
          await downstream.send(change(false, "A"));
          const cancel = await peer.receive(middlePub);
          assert.deepEqual(cancel, [change(false, "A")]);
          await peer.send(middleSub, cancel);
          assert.deepEqual(await upstream.receive(), [change(false, "A")]);
        } finally {
          upstream.close();
          downstream.close();
          await peer.close(middleSub);
          await peer.close(middlePub);
        }
      });
    });
  }
}
