// CURVE between our own sockets over tcp: the handshake with and without an authenticator, every
// frame shape encrypted, subscriptions and heartbeats inside MESSAGEs (seen through a relay), and
// the refusals: a wrong server key, a client key the Authenticator does not know.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import "../../mod.ts";
import { z85Decode } from "../../core/z85.ts";
import { Authenticator } from "../../sockets/authenticator.ts";
import { curveKeyPair } from "../../sockets/curve_loader.ts";
import { Dealer } from "../../sockets/dealer.ts";
import { isInprocBound } from "../../sockets/inproc.ts";
import { Publisher } from "../../sockets/publisher.ts";
import { Subscriber } from "../../sockets/subscriber.ts";
import {
  echoEveryShape,
  EventLog,
  MetadataRouter,
  quietPeriod,
  skipProbes,
  untilSubscribed,
} from "../fixtures/security.ts";
import { texts } from "../fixtures/sockets.ts";
import { assertCurveTraffic, containsBytes, TcpRelay } from "../fixtures/tcp_relay.ts";

const RECONNECT_MS = 20;
/** Fifteen reconnect intervals: a client that retried would have done so several times. */
const QUIET_MS = 300;

type KeyPair = { publicKey: string; secretKey: string };

function curveClient(server: KeyPair, client: KeyPair, extra: object = {}): Dealer {
  return new Dealer({
    curveServerKey: server.publicKey,
    curvePublicKey: client.publicKey,
    curveSecretKey: client.secretKey,
    ...extra,
  });
}

describe("CURVE between our sockets", () => {
  test("no ZAP handler: any client with a valid handshake talks; every frame shape crosses", async () => {
    assert.equal(isInprocBound("zeromq.zap.01"), false, "a ZAP handler leaked from another test");
    const server = await curveKeyPair();
    const client = await curveKeyPair();
    const router = new MetadataRouter({ curveServer: true, curveSecretKey: server.secretKey });
    // Keys as 32 raw bytes work as well as Z85.
    const dealer = new Dealer({
      curveServerKey: z85Decode(server.publicKey),
      curvePublicKey: z85Decode(client.publicKey),
      curveSecretKey: z85Decode(client.secretKey),
      routingId: "curved",
    });
    try {
      assert.equal(router.securityMechanism, "CURVE");
      assert.equal(dealer.securityMechanism, "CURVE");
      assert.equal(dealer.curveServerKey, server.publicKey);
      await router.bind("tcp://127.0.0.1:0");
      dealer.connect(router.lastEndpoint!);
      await echoEveryShape({
        dealerSend: (message) => dealer.send(message),
        dealerReceive: () => dealer.receive(),
        routerSend: (message) => router.send(message),
        routerReceive: () => router.receive(),
      }, "curved");
      const peer = router.peers[0];
      assert.equal(peer.getText("Socket-Type"), "DEALER");
      assert.equal(peer.getText("User-Id"), undefined, "no handler, no User-Id");
    } finally {
      dealer.close();
      router.close();
    }
  });

  test("an incomplete client configuration fails at connect, naming what is missing", async () => {
    const server = await curveKeyPair();
    const dealer = new Dealer({
      curveServerKey: server.publicKey,
      curveSecretKey: server.secretKey,
    });
    try {
      assert.throws(() => dealer.connect("tcp://127.0.0.1:1"), {
        code: "EINVAL",
        message: /curvePublicKey/,
      });
    } finally {
      dealer.close();
    }
  });

  test("Authenticator curveKeys: a known key gets its User-Id, an unknown one ERROR 400 for good", async () => {
    const server = await curveKeyPair();
    const known = await curveKeyPair();
    const stranger = await curveKeyPair();
    const auth = new Authenticator({ curveKeys: [known.publicKey] });
    await auth.start();
    const router = new MetadataRouter({ curveServer: true, curveSecretKey: server.secretKey });
    const serverLog = new EventLog(router);
    const good = curveClient(server, known);
    const bad = curveClient(server, stranger, { reconnectInterval: RECONNECT_MS });
    const badLog = new EventLog(bad);
    try {
      await router.bind("tcp://127.0.0.1:0");
      good.connect(router.lastEndpoint!);
      await good.send("hello");
      const [id, body] = await router.receive();
      assert.equal(new TextDecoder().decode(body), "hello");
      assert.equal(router.peers[0].getText("User-Id"), known.publicKey);

      bad.connect(router.lastEndpoint!);
      const refused = await badLog.nth("handshake:error:auth");
      assert.equal(refused.error?.code, "EACCES");
      assert.match(refused.error?.message ?? "", /ERROR "400"/);
      const serverError = await serverLog.nth("handshake:error:auth");
      assert.match(serverError.error?.message ?? "", /status 400: unknown client key/);
      // Proving an absence: a client that reconnected would have done so within this time.
      await quietPeriod(QUIET_MS);
      assert.equal(badLog.count("connect:retry"), 0, `events: ${badLog.types}`);
      assert.equal(serverLog.count("accept"), 2);

      await router.send([id, "still served"]);
      assert.deepEqual(texts(await good.receive()), ["still served"]);
    } finally {
      good.close();
      bad.close();
      router.close();
      auth.close();
    }
  });

  test("a wrong server key: HELLO does not open, the server reports a protocol error", async () => {
    const server = await curveKeyPair();
    const impostor = await curveKeyPair();
    const client = await curveKeyPair();
    const router = new MetadataRouter({ curveServer: true, curveSecretKey: server.secretKey });
    const serverLog = new EventLog(router);
    const good = curveClient(server, client);
    const wrong = curveClient(impostor, client, { reconnectInterval: RECONNECT_MS });
    const wrongLog = new EventLog(wrong);
    try {
      await router.bind("tcp://127.0.0.1:0");
      wrong.connect(router.lastEndpoint!);
      const failed = await serverLog.nth("handshake:error:protocol");
      assert.equal(failed.error?.code, "EPROTO");
      assert.match(failed.error?.message ?? "", /HELLO does not open/);
      const closed = await wrongLog.nth("disconnect");
      assert.equal(closed.error, undefined, "closed without an ERROR");
      assert.equal(wrongLog.count("handshake"), 0);
      assert.equal(wrongLog.count("handshake:error:auth"), 0);

      good.connect(router.lastEndpoint!);
      await good.send("served");
      const [, body] = await router.receive();
      assert.equal(new TextDecoder().decode(body), "served");
      assert.equal(router.peers.length, 1, "only the good client completed a handshake");
    } finally {
      good.close();
      wrong.close();
      router.close();
    }
  });

  test("Publisher and Subscriber: the subscription travels inside a MESSAGE", async () => {
    const server = await curveKeyPair();
    const client = await curveKeyPair();
    const publisher = new Publisher({ curveServer: true, curveSecretKey: server.secretKey });
    await publisher.bind("tcp://127.0.0.1:0");
    const relay = await TcpRelay.start(publisher.lastEndpoint!);
    const subscriber = new Subscriber({
      curveServerKey: server.publicKey,
      curvePublicKey: client.publicKey,
      curveSecretKey: client.secretKey,
    });
    try {
      subscriber.subscribe("TOPIC-ZQX");
      subscriber.connect(relay.endpoint);
      await untilSubscribed(() => publisher.send(["TOPIC-ZQX probe"]), subscriber.receive());
      await publisher.send(["OTHER filtered"]);
      await publisher.send(["TOPIC-ZQX start"]);
      await skipProbes(() => subscriber.receive(), "TOPIC-ZQX probe", ["TOPIC-ZQX start"]);
      // The subscription went upstream after INITIATE, encrypted: no SUBSCRIBE in clear.
      assertCurveTraffic(relay);
      const upstream = relay.capture("upstream");
      assert.equal(containsBytes(upstream, new TextEncoder().encode("SUBSCRIBE")), false);
      assert.equal(containsBytes(upstream, new TextEncoder().encode("TOPIC-ZQX")), false);
    } finally {
      subscriber.close();
      publisher.close();
      await relay.close();
    }
  });

  test("heartbeats: PING and PONG travel inside MESSAGEs both ways and keep the link", async () => {
    const server = await curveKeyPair();
    const client = await curveKeyPair();
    const heartbeats = { heartbeatInterval: 20, heartbeatTimeout: 1000, heartbeatTimeToLive: 2000 };
    const router = new MetadataRouter({
      curveServer: true,
      curveSecretKey: server.secretKey,
      ...heartbeats,
    });
    await router.bind("tcp://127.0.0.1:0");
    const relay = await TcpRelay.start(router.lastEndpoint!);
    const dealer = curveClient(server, client, heartbeats);
    const dealerLog = new EventLog(dealer);
    const routerLog = new EventLog(router);
    try {
      dealer.connect(relay.endpoint);
      // With no message sent, each side's PINGs and the other's PONGs are all the traffic after
      // the two handshake commands each way: wait for six such frames each way, whatever they are.
      const any = (): boolean => true;
      await relay.waitForFrames("upstream", any, 2 + 6);
      await relay.waitForFrames("downstream", any, 2 + 6);
      assertCurveTraffic(relay);
      assert.equal(
        containsBytes(relay.capture("upstream"), new TextEncoder().encode("PING")),
        false,
      );
      assert.equal(
        containsBytes(relay.capture("downstream"), new TextEncoder().encode("PONG")),
        false,
      );
      assert.equal(dealerLog.count("disconnect"), 0);
      assert.equal(routerLog.count("disconnect"), 0);
      await dealer.send("after heartbeats");
      const [, body] = await router.receive();
      assert.equal(new TextDecoder().decode(body), "after heartbeats");
      assert.equal(relay.connections, 1);
    } finally {
      dealer.close();
      router.close();
      await relay.close();
    }
  });
});
