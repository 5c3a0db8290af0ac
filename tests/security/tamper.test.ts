// CURVE MESSAGEs tampered with on the wire, between our own sockets: a relay flips one byte of
// the first MESSAGE, or sends it twice. The server must close the connection as a protocol error
// (without an ERROR), deliver nothing forged or replayed, and serve the client again after it
// reconnects.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import "../../mod.ts";
import { curveKeyPair } from "../../sockets/curve_loader.ts";
import { Dealer } from "../../sockets/dealer.ts";
import { EventLog, MetadataRouter } from "../fixtures/security.ts";
import {
  flipFirstMessage,
  frameKind,
  replayFirstMessage,
  TcpRelay,
  type UpstreamRewrite,
} from "../fixtures/tcp_relay.ts";

interface Setup {
  router: MetadataRouter;
  dealer: Dealer;
  relay: TcpRelay;
  serverLog: EventLog;
  clientLog: EventLog;
}

async function withTamperedLink(
  rewrite: UpstreamRewrite,
  run: (setup: Setup) => Promise<void>,
): Promise<void> {
  const server = await curveKeyPair();
  const client = await curveKeyPair();
  const router = new MetadataRouter({ curveServer: true, curveSecretKey: server.secretKey });
  const serverLog = new EventLog(router);
  await router.bind("tcp://127.0.0.1:0");
  const relay = await TcpRelay.start(router.lastEndpoint!, rewrite);
  const dealer = new Dealer({
    curveServerKey: server.publicKey,
    curvePublicKey: client.publicKey,
    curveSecretKey: client.secretKey,
    reconnectInterval: 20,
  });
  const clientLog = new EventLog(dealer);
  try {
    dealer.connect(relay.endpoint);
    await run({ router, dealer, relay, serverLog, clientLog });
  } finally {
    dealer.close();
    router.close();
    await relay.close();
  }
}

/** Asserts that nothing is waiting to be received on `router` right now. */
async function assertNothingQueued(router: MetadataRouter): Promise<void> {
  router.receiveTimeout = 0;
  await assert.rejects(router.receive(), { code: "EAGAIN" });
  router.receiveTimeout = -1;
}

describe("tampered CURVE traffic", () => {
  test("a flipped byte in a MESSAGE: protocol error, connection closed, nothing delivered", async () => {
    await withTamperedLink(
      flipFirstMessage(),
      async ({ router, dealer, relay, serverLog, clientLog }) => {
        await dealer.send("tampered");
        const failed = await serverLog.nth("handshake:error:protocol");
        assert.equal(failed.error?.code, "EPROTO");
        assert.match(failed.error?.message ?? "", /MESSAGE failed to authenticate/);
        await relay.waitForClosedConnections(1);
        // The failure is found while the frame is decoded: a forged message would be queued by now.
        await assertNothingQueued(router);
        assert.equal(router.peers.length, 1);
        // Closed silently: no ERROR went back, so the client reconnects and is served again.
        const downstream = relay.frames("downstream").filter((frame) => frame.connection === 0);
        assert.deepEqual(downstream.map(frameKind), ["cmd:WELCOME", "cmd:READY"]);
        const closed = await clientLog.nth("disconnect");
        assert.equal(closed.error, undefined);
        // Sent once the new connection is up: one sent before we saw the old one close would be lost.
        await clientLog.nth("handshake", 2);
        await dealer.send("clean");
        const [, body] = await router.receive();
        assert.equal(new TextDecoder().decode(body), "clean");
        assert.equal(relay.connections, 2);
        assert.equal(clientLog.count("handshake:error:auth"), 0);
      },
    );
  });

  test("a replayed MESSAGE: the original is delivered, the replay is not, the link is closed", async () => {
    await withTamperedLink(
      replayFirstMessage(),
      async ({ router, dealer, relay, serverLog, clientLog }) => {
        await dealer.send("original");
        const failed = await serverLog.nth("handshake:error:protocol");
        assert.match(failed.error?.message ?? "", /nonce 3 is not above the last one, 3: replayed/);
        await relay.waitForClosedConnections(1);
        const [, body] = await router.receive();
        assert.equal(new TextDecoder().decode(body), "original");
        await assertNothingQueued(router);
        const upstream = relay.frames("upstream").filter((frame) => frame.connection === 0);
        assert.deepEqual(upstream.map(frameKind), [
          "cmd:HELLO",
          "cmd:INITIATE",
          "MESSAGE",
          "MESSAGE",
        ]);
        await clientLog.nth("handshake", 2);
        await dealer.send("after reconnection");
        const [, again] = await router.receive();
        assert.equal(new TextDecoder().decode(again), "after reconnection");
      },
    );
  });
});
