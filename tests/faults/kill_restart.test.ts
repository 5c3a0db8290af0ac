// A peer process killed with SIGKILL in the middle of its work, then started again: the socket in
// this process notices, reconnects by itself, restores its subscriptions, keeps what it queued
// meanwhile and forgets the dead peer's routing id.
//
// The victims are monocoque on another runtime than this test's and real libzmq (peerKinds()).
// tests/sockets/reconnect.test.ts already covers a Dealer and a Subscriber surviving a killed
// libzmq Router and XPublisher; the cases here are the other roles.
import assert from "node:assert/strict";
import process from "node:process";
import { describe, test } from "node:test";
// Loads the runtime's tcp/ipc transport on first bind or connect.
import "../../mod.ts";
import { Push } from "../../sockets/push.ts";
import { Router } from "../../sockets/router.ts";
import type { SocketEvents } from "../../sockets/socket_events.ts";
import { Subscriber } from "../../sockets/subscriber.ts";
import { XPublisher } from "../../sockets/xpublisher.ts";
import { digestMessages, type LibzmqPeer } from "../fixtures/libzmq.ts";
import { peerKinds } from "../fixtures/peer_runtime.ts";
import { text, texts } from "../fixtures/sockets.ts";

const encoder = new TextEncoder();
const bytes = (value: string): Uint8Array => encoder.encode(value);

const VICTIMS = peerKinds();

/** SIGKILL: the process ends without closing anything; the kernel closes its connections. */
async function kill(peer: LibzmqPeer): Promise<void> {
  process.kill(peer.pid, "SIGKILL");
  await peer.stop();
}

/** Records the types of every event of the given kinds, in order, from now on. */
function record(socket: { readonly events: SocketEvents }): string[] {
  const seen: string[] = [];
  for (const type of ["disconnect", "connect:retry", "handshake"] as const) {
    socket.events.on(type, (event) => seen.push(event.type));
  }
  return seen;
}

/** The events seen from the first disconnect on: a retry must come between it and the handshake. */
function assertReconnected(seen: readonly string[]): void {
  const from = seen.indexOf("disconnect");
  assert.ok(from >= 0, `no disconnect in ${seen}`);
  const after = seen.slice(from);
  const retry = after.indexOf("connect:retry");
  const handshake = after.indexOf("handshake");
  assert.ok(retry > 0 && handshake > retry, `expected retry, then handshake in ${after}`);
}

describe("a Subscriber whose Publisher process was killed and restarted on the same port", () => {
  // libzmq as the killed publisher is in tests/sockets/reconnect.test.ts.
  const victim = VICTIMS[0];
  test(`reconnects by itself and its subscription comes back (${victim.label})`, async () => {
    // An XPublisher publishes like a Publisher and shows the subscriptions it receives.
    const subscriber = new Subscriber({ reconnectInterval: 50 });
    const seen = record(subscriber);
    let first: LibzmqPeer | undefined = await victim.start();
    let second: LibzmqPeer | undefined;
    try {
      await first.socket("pub", "XPublisher");
      const endpoint = await first.bind("pub", "tcp://127.0.0.1:0");
      subscriber.subscribe("news.");
      subscriber.connect(endpoint);
      assert.deepEqual(await first.receive("pub"), [bytes("\x01news.")]);
      await first.send("pub", ["news.1"]);
      assert.equal(text((await subscriber.receive())[0]), "news.1");

      const lost = subscriber.events.next("disconnect");
      const retrying = subscriber.events.next("connect:retry");
      await kill(first);
      first = undefined;
      await lost;
      await retrying;

      second = await victim.start();
      await second.socket("pub", "XPublisher");
      const back = subscriber.events.next("handshake");
      await second.bind("pub", endpoint);
      await back;
      // Not subscribed again by the application: the Subscriber replays it on reconnection.
      assert.deepEqual(await second.receive("pub"), [bytes("\x01news.")]);
      await second.send("pub", ["weather.2"]);
      await second.send("pub", ["news.2"]);
      assert.equal(text((await subscriber.receive())[0]), "news.2");
      assertReconnected(seen);
    } finally {
      subscriber.close();
      await first?.stop();
      await second?.stop();
    }
  });
});

for (const victim of VICTIMS) {
  describe(`a peer process killed with SIGKILL and started again (${victim.label})`, () => {
    test("publishing: the dead Subscriber's subscription goes, the restarted one's is honoured", async () => {
      // An XPublisher shares the Publisher's fan-out and subscriptions, and shows what arrives.
      const xpub = new XPublisher();
      let first: LibzmqPeer | undefined = await victim.start();
      let second: LibzmqPeer | undefined;
      try {
        await xpub.bind("tcp://127.0.0.1:0");
        const endpoint = xpub.lastEndpoint!;
        await first.socket("sub", "Subscriber", { reconnectInterval: 50 });
        await first.subscribe("sub", "news.");
        await first.connect("sub", endpoint);
        assert.deepEqual(texts(await xpub.receive()), ["\x01news."]);
        await xpub.send(["news.1"]);
        assert.deepEqual(await first.receive("sub"), [bytes("news.1")]);

        const lost = xpub.events.next("disconnect");
        await kill(first);
        first = undefined;
        await lost;
        // The dead peer's subscriptions leave with it, reported as libzmq's XPUB reports them.
        assert.deepEqual(texts(await xpub.receive()), ["\x00news."]);

        second = await victim.start();
        await second.socket("sub", "Subscriber");
        await second.subscribe("sub", "sports.");
        await second.connect("sub", endpoint);
        assert.deepEqual(texts(await xpub.receive()), ["\x01sports."]);
        await xpub.send(["news.2"]);
        await xpub.send(["sports.2"]);
        assert.deepEqual(await second.receive("sub"), [bytes("sports.2")]);
      } finally {
        xpub.close();
        await first?.stop();
        await second?.stop();
      }
    });

    test("a Push keeps what it queued while its Pull was dead and delivers it, in order, to the restarted one", async () => {
      const HWM = 1000;
      const N = 500;
      const push = new Push({ reconnectInterval: 50, sendHighWaterMark: HWM });
      const seen = record(push);
      let first: LibzmqPeer | undefined = await victim.start();
      let second: LibzmqPeer | undefined;
      let disconnected = false;
      let streaming: Promise<number> | undefined;
      try {
        await first.socket("pull", "Pull");
        const endpoint = await first.bind("pull", "tcp://127.0.0.1:0");
        push.connect(endpoint);

        // Mid-stream: a message every millisecond until the Push sees its peer go.
        const lost = push.events.next("disconnect").then(() => disconnected = true);
        const retrying = push.events.next("connect:retry");
        streaming = (async () => {
          let sent = 0;
          while (!disconnected) {
            await push.send(`during ${sent++}`);
            // Pacing only: lets the connection write and notice the end between messages.
            await new Promise((resolve) => setTimeout(resolve, 1));
          }
          return sent;
        })();
        const flowing = await first.receiveMany("pull", 20, { keep: true });
        assert.deepEqual(
          flowing.messages,
          Array.from({ length: 20 }, (_, i) => [bytes(`during ${i}`)]),
        );
        await kill(first);
        first = undefined;
        await lost;
        const during = await streaming;
        await retrying;

        // Queued in the pipe while nobody is there: all fit under the high-water mark, so none
        // waits (sendTimeout 0 would reject instead).
        push.sendTimeout = 0;
        const after = Array.from({ length: N }, (_, i) => [`after ${i}`]);
        for (const message of after) await push.send(message);

        second = await victim.start();
        await second.socket("pull", "Pull");
        const back = push.events.next("handshake");
        await second.bind("pull", endpoint);
        await back;
        // Messages the dying connection had already written went down with the process (TCP
        // gives no more, nor does libzmq). Those still in the pipe at the disconnect come first,
        // in order; then every message sent after the disconnect.
        let next = text((await second.receive("pull"))[0]);
        let previous = 19;
        while (next.startsWith("during ")) {
          const index = Number(next.slice("during ".length));
          assert.ok(index > previous && index < during, `${next} after during ${previous}`);
          previous = index;
          next = text((await second.receive("pull"))[0]);
        }
        assert.equal(next, "after 0");
        const rest = await second.receiveMany("pull", N - 1);
        assert.equal(rest.digest, digestMessages(after.slice(1)));
        assertReconnected(seen);
      } finally {
        disconnected = true;
        await streaming?.catch(() => {});
        push.close();
        await first?.stop();
        await second?.stop();
      }
    });

    test("a Router forgets the dead Dealer's routing id, and routes to it again once restarted", async () => {
      const router = new Router({ mandatory: true });
      let first: LibzmqPeer | undefined = await victim.start();
      let second: LibzmqPeer | undefined;
      try {
        await router.bind("tcp://127.0.0.1:0");
        const endpoint = router.lastEndpoint!;
        await first.socket("dealer", "Dealer", { routingId: "dealer-1" });
        await first.connect("dealer", endpoint);
        await first.send("dealer", "hello");
        assert.deepEqual(texts(await router.receive()), ["dealer-1", "hello"]);
        await router.send(["dealer-1", "hi"]);
        assert.deepEqual(await first.receive("dealer"), [bytes("hi")]);

        const lost = router.events.next("disconnect");
        await kill(first);
        first = undefined;
        await lost;
        await assert.rejects(router.send(["dealer-1", "to the dead"]), { code: "EHOSTUNREACH" });

        second = await victim.start();
        await second.socket("dealer", "Dealer", { routingId: "dealer-1" });
        const back = router.events.next("handshake");
        await second.connect("dealer", endpoint);
        await back;
        await router.send(["dealer-1", "again"]);
        assert.deepEqual(await second.receive("dealer"), [bytes("again")]);
      } finally {
        router.close();
        await first?.stop();
        await second?.stop();
      }
    });

    test("a mandatory Router's sends waiting for a full peer fail with EHOSTUNREACH once it dies", async () => {
      // 48 MiB for a peer that reads nothing: the kernel buffers take a few MiB, the pipe two
      // messages, so most sends are still waiting for room when the peer is killed.
      const COUNT = 48;
      const router = new Router({ mandatory: true, sendHighWaterMark: 2 });
      const peer = await victim.start();
      try {
        await router.bind("tcp://127.0.0.1:0");
        await peer.socket("dealer", "Dealer", { routingId: "full", receiveHighWaterMark: 1 });
        const ready = router.events.next("handshake");
        await peer.connect("dealer", router.lastEndpoint!);
        await ready;
        const payload = new Uint8Array(1024 * 1024);
        const outcomes = Array.from(
          { length: COUNT },
          () => router.send(["full", payload]).then(() => "sent", (error) => error.code),
        );
        const lost = router.events.next("disconnect");
        await kill(peer);
        await lost;
        const settled = await Promise.all(outcomes);
        const firstFailure = settled.indexOf("EHOSTUNREACH");
        assert.ok(firstFailure >= 0, `no send failed: ${settled}`);
        assert.deepEqual(
          settled.slice(firstFailure),
          Array(COUNT - firstFailure).fill("EHOSTUNREACH"),
        );
        assert.deepEqual(settled.slice(0, firstFailure), Array(firstFailure).fill("sent"));
      } finally {
        router.close();
        await peer.stop();
      }
    });

    test("an immediate Push has no queue while its Pull is dead, and a waiting send goes to the restarted one", async () => {
      // With ZMQ_IMMEDIATE the pipe goes with the connection: nothing queues for a dead peer.
      const push = new Push({ immediate: true, reconnectInterval: 50 });
      let first: LibzmqPeer | undefined = await victim.start();
      let second: LibzmqPeer | undefined;
      try {
        await first.socket("pull", "Pull");
        const endpoint = await first.bind("pull", "tcp://127.0.0.1:0");
        const ready = push.events.next("handshake");
        push.connect(endpoint);
        await ready;
        await push.send("before");
        assert.deepEqual(await first.receive("pull"), [bytes("before")]);

        const lost = push.events.next("disconnect");
        await kill(first);
        first = undefined;
        await lost;
        push.sendTimeout = 0;
        await assert.rejects(push.send("nowhere to go"), { code: "EAGAIN" });
        push.sendTimeout = -1;
        const waiting = push.send("after");

        second = await victim.start();
        await second.socket("pull", "Pull");
        await second.bind("pull", endpoint);
        await waiting;
        assert.deepEqual(await second.receive("pull"), [bytes("after")]);
      } finally {
        push.close();
        await first?.stop();
        await second?.stop();
      }
    });
  });
}
