// A peer process frozen with SIGSTOP: its connections stay open (the kernel keeps them) but it
// answers nothing. Only heartbeats can tell: the socket here, with ZMQ_HEARTBEAT_IVL and
// ZMQ_HEARTBEAT_TIMEOUT set, drops the connection once a PING goes unanswered for the timeout,
// and finds the peer again after SIGCONT, whichever side connected.
//
// The frozen peers are monocoque on another runtime than this test's and real libzmq
// (peerKinds()).
import assert from "node:assert/strict";
import process from "node:process";
import { describe, test } from "node:test";
// Loads the runtime's tcp/ipc transport on first bind or connect.
import "../../mod.ts";
import { Dealer } from "../../sockets/dealer.ts";
import { Push } from "../../sockets/push.ts";
import { Router } from "../../sockets/router.ts";
import type { SocketEvent } from "../../sockets/socket_events.ts";
import type { LibzmqPeer } from "../fixtures/libzmq.ts";
import { numberedMessage } from "../fixtures/numbered_message.ts";
import { connectToPeer, peerKinds } from "../fixtures/peer_runtime.ts";
import { texts } from "../fixtures/sockets.ts";

const HEARTBEAT = { heartbeatInterval: 100, heartbeatTimeout: 300 } as const;
/**
 * When the drop must come, measured from the SIGSTOP: the PING that goes unanswered leaves at the
 * latest one interval after the freeze (an earlier one may have been answered just before it),
 * and the connection is dropped one timeout after that PING, as libzmq does. The slack covers
 * timers firing late and the event reaching the test on a loaded 2-core machine.
 */
const SLACK = 700;
const DROP_WITHIN = HEARTBEAT.heartbeatInterval + HEARTBEAT.heartbeatTimeout + SLACK;

const VICTIMS = peerKinds();

/**
 * Freezes `peer` and resolves with the disconnect event of `socket` and the milliseconds from the
 * SIGSTOP to it.
 */
async function freezeUntilDropped(
  peer: LibzmqPeer,
  socket: Dealer | Router | Push,
): Promise<{ event: SocketEvent; elapsed: number }> {
  const dropped = socket.events.next("disconnect").then((event) => ({
    event,
    at: performance.now(),
  }));
  process.kill(peer.pid, "SIGSTOP");
  const frozenAt = performance.now();
  const { event, at } = await dropped;
  return { event, elapsed: at - frozenAt };
}

function assertDroppedByHeartbeat({ event, elapsed }: { event: SocketEvent; elapsed: number }) {
  assert.equal(event.error?.code, "ETIMEDOUT", `dropped for another reason: ${event.error}`);
  assert.ok(
    elapsed <= DROP_WITHIN,
    `dropped ${Math.round(elapsed)} ms after the freeze, expected within ${DROP_WITHIN} ms`,
  );
}

for (const victim of VICTIMS) {
  describe(`a peer process frozen with SIGSTOP, then resumed (${victim.label})`, () => {
    test("we connected: the heartbeat drops the connection, and we reconnect after SIGCONT", async () => {
      const dealer = new Dealer({ ...HEARTBEAT, reconnectInterval: 50 });
      const peer = await victim.start();
      let frozen = false;
      try {
        await peer.socket("router", "Router");
        const endpoint = await peer.bind("router", "tcp://127.0.0.1:0");
        await peer.echo("router");
        dealer.connect(endpoint);
        await dealer.send("before");
        assert.deepEqual(texts(await dealer.receive()), ["before"]);

        frozen = true;
        const drop = await freezeUntilDropped(peer, dealer);
        assertDroppedByHeartbeat(drop);
        // While frozen, the kernel still accepts our new connection, but nobody answers the
        // greeting: the handshake completes only once the peer runs again.
        const back = dealer.events.next("handshake");
        process.kill(peer.pid, "SIGCONT");
        frozen = false;
        await back;
        await dealer.send("after");
        assert.deepEqual(texts(await dealer.receive()), ["after"]);
      } finally {
        if (frozen) process.kill(peer.pid, "SIGCONT");
        dealer.close();
        await peer.stop();
      }
    });

    test("it connected: the heartbeat drops the connection, and it reconnects after SIGCONT", async () => {
      const router = new Router({ ...HEARTBEAT });
      const peer = await victim.start();
      let frozen = false;
      try {
        await router.bind("tcp://127.0.0.1:0");
        await peer.socket("dealer", "Dealer", { routingId: "frozen", reconnectInterval: 50 });
        const ready = router.events.next("handshake");
        await peer.connect("dealer", router.lastEndpoint!);
        await ready;
        await peer.echo("dealer");
        await router.send(["frozen", "before"]);
        assert.deepEqual(texts(await router.receive()), ["frozen", "before"]);

        frozen = true;
        const drop = await freezeUntilDropped(peer, router);
        assertDroppedByHeartbeat(drop);
        // Resumed, the peer finds its connection closed by us and dials again.
        const back = router.events.next("handshake");
        process.kill(peer.pid, "SIGCONT");
        frozen = false;
        await back;
        await router.send(["frozen", "after"]);
        assert.deepEqual(texts(await router.receive()), ["frozen", "after"]);
      } finally {
        if (frozen) process.kill(peer.pid, "SIGCONT");
        router.close();
        await peer.stop();
      }
    });

    test("with our writes backed up behind it: the heartbeat still drops it, and messages flow after SIGCONT", async () => {
      // 16 MiB sent while the peer is frozen: far more than the kernel buffers, so the
      // connection stops taking bytes and our PINGs queue behind the data. The timeout counts
      // what we receive, not what we manage to write, so it fires all the same.
      const COUNT = 256;
      const push = new Push({ ...HEARTBEAT, reconnectInterval: 50, sendHighWaterMark: 0 });
      const peer = await victim.start();
      let frozen = false;
      try {
        await peer.socket("pull", "Pull");
        await connectToPeer(push, peer, "pull");

        frozen = true;
        const dropping = freezeUntilDropped(peer, push);
        for (let i = 0; i < COUNT; i++) await push.send(numberedMessage(i, 64 * 1024));
        assertDroppedByHeartbeat(await dropping);
        const back = push.events.next("handshake");
        process.kill(peer.pid, "SIGCONT");
        frozen = false;
        await back;
        await push.send("last");
        // Resumed, the peer reads what its kernel still held of the old connection and what the
        // new one brings, fair-queued between the two; what the old connection had taken beyond
        // that is lost with it. No message may come twice, and the last one must come.
        const seen = new Set<number>();
        for (;;) {
          const [frame] = await peer.receive("pull");
          if (frame.length !== 64 * 1024) {
            assert.equal(texts([frame])[0], "last");
            break;
          }
          const index = new DataView(frame.buffer, frame.byteOffset).getUint32(0);
          assert.ok(index < COUNT && !seen.has(index), `message ${index} again, or unknown`);
          seen.add(index);
        }
      } finally {
        if (frozen) process.kill(peer.pid, "SIGCONT");
        push.close();
        await peer.stop();
      }
    });
  });
}
