// CURVE against libzmq over tcp, both ways round: Dealer/Router with every frame shape,
// Publisher/Subscriber and heartbeats through a recording relay (so that subscriptions, PINGs
// and PONGs are seen to travel as MESSAGEs), ZAP on either side, and the refusals: a wrong
// server key, a client key refused (400), a flipped byte and a replayed MESSAGE.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import "../../mod.ts";
import { toHex } from "../../core/bytes.ts";
import { z85Decode } from "../../core/z85.ts";
import { Authenticator } from "../../sockets/authenticator.ts";
import { curveKeyPair } from "../../sockets/curve_loader.ts";
import { Dealer } from "../../sockets/dealer.ts";
import { Publisher } from "../../sockets/publisher.ts";
import { Subscriber } from "../../sockets/subscriber.ts";
import type { LibzmqPeerError } from "../fixtures/libzmq.ts";
import { libzmqPeerPerFile } from "../fixtures/libzmq_per_file.ts";
import {
  echoEveryShape,
  EventLog,
  MetadataRouter,
  ourRouterTheirDealer,
  quietPeriod,
  skipProbes,
  theirRouterOurDealer,
  untilSubscribed,
} from "../fixtures/security.ts";
import {
  assertCurveTraffic,
  containsBytes,
  flipFirstMessage,
  replayFirstMessage,
  TcpRelay,
} from "../fixtures/tcp_relay.ts";

const { peer, name } = libzmqPeerPerFile();
const decoder = new TextDecoder();
const encoder = new TextEncoder();
const RECONNECT_MS = 20;
/** Fifteen reconnect intervals: a client that retried would have done so several times. */
const QUIET_MS = 300;
/**
 * Heartbeats every 20 ms. The timeouts are generous so that a loaded machine does not drop the
 * link; a PING or PONG that failed to decrypt would drop it at once, whatever they are.
 */
const HEARTBEATS = { heartbeatInterval: 20, heartbeatTimeout: 1000, heartbeatTimeToLive: 2000 };

type KeyPair = { publicKey: string; secretKey: string };

/** Client options, for our sockets and zeromq v6's alike (both take Z85 strings). */
function clientKeys(server: KeyPair, client: KeyPair): Record<string, string> {
  return {
    curveServerKey: server.publicKey,
    curvePublicKey: client.publicKey,
    curveSecretKey: client.secretKey,
  };
}

/** Binds a ZAP handler inside the libzmq process for the duration of `run`. */
async function withTheirZap(run: (zap: string) => Promise<void>): Promise<void> {
  const zap = name("zap");
  await peer().socket(zap, "Router");
  await peer().bind(zap, "inproc://zeromq.zap.01");
  try {
    await run(zap);
  } finally {
    // Unbound first: libzmq removes an inproc endpoint at unbind at once, but at close only
    // when the socket is reaped, and a CURVE server that still found the handler would put
    // the next test's clients to it and wait for an answer forever.
    await peer().unbind(zap, "inproc://zeromq.zap.01");
    await peer().close(zap);
  }
}

/** Waits for six frames after the handshake each way on a relay with no messages sent. */
async function heartbeatTraffic(relay: TcpRelay): Promise<void> {
  const any = (): boolean => true;
  await relay.waitForFrames("upstream", any, 2 + 6);
  await relay.waitForFrames("downstream", any, 2 + 6);
  assertCurveTraffic(relay);
  assert.equal(containsBytes(relay.capture("upstream"), encoder.encode("PING")), false);
  assert.equal(containsBytes(relay.capture("downstream"), encoder.encode("PONG")), false);
}

describe("CURVE: libzmq server, our client", () => {
  test("Router ↔ our Dealer, no ZAP handler: every frame shape both ways", async () => {
    const server = await curveKeyPair();
    const client = await curveKeyPair();
    const router = name("router");
    await peer().socket(router, "Router", { curveServer: true, curveSecretKey: server.secretKey });
    const endpoint = await peer().bind(router, "tcp://127.0.0.1:0");
    const dealer = new Dealer({ ...clientKeys(server, client), routingId: "ours" });
    try {
      dealer.connect(endpoint);
      await echoEveryShape(theirRouterOurDealer(peer(), router, dealer), "ours");
    } finally {
      dealer.close();
      await peer().close(router);
    }
  });

  test("Publisher → our Subscriber: our subscription travels inside a MESSAGE", async () => {
    const server = await curveKeyPair();
    const client = await curveKeyPair();
    const publisher = name("pub");
    await peer().socket(publisher, "Publisher", {
      curveServer: true,
      curveSecretKey: server.secretKey,
    });
    const relay = await TcpRelay.start(await peer().bind(publisher, "tcp://127.0.0.1:0"));
    const subscriber = new Subscriber(clientKeys(server, client));
    try {
      subscriber.subscribe("TOPIC-QZX");
      subscriber.connect(relay.endpoint);
      await untilSubscribed(() => peer().send(publisher, "TOPIC-QZX probe"), subscriber.receive());
      await peer().send(publisher, "OTHER filtered");
      await peer().send(publisher, ["TOPIC-QZX start", "tail"]);
      await skipProbes(() => subscriber.receive(), "TOPIC-QZX probe", ["TOPIC-QZX start", "tail"]);
      assertCurveTraffic(relay);
      assert.equal(containsBytes(relay.capture("upstream"), encoder.encode("SUBSCRIBE")), false);
      assert.equal(containsBytes(relay.capture("upstream"), encoder.encode("TOPIC-QZX")), false);
    } finally {
      subscriber.close();
      await relay.close();
      await peer().close(publisher);
    }
  });

  test("heartbeats both ways inside MESSAGEs; the link stays up", async () => {
    const server = await curveKeyPair();
    const client = await curveKeyPair();
    const router = name("router");
    await peer().socket(router, "Router", {
      curveServer: true,
      curveSecretKey: server.secretKey,
      ...HEARTBEATS,
    });
    const theirEvents = await peer().events(router);
    const relay = await TcpRelay.start(await peer().bind(router, "tcp://127.0.0.1:0"));
    const dealer = new Dealer({ ...clientKeys(server, client), ...HEARTBEATS, routingId: "hb" });
    const log = new EventLog(dealer);
    try {
      dealer.connect(relay.endpoint);
      await heartbeatTraffic(relay);
      await dealer.send("after heartbeats");
      const [id, body] = await peer().receive(router);
      assert.deepEqual([decoder.decode(id), decoder.decode(body)], ["hb", "after heartbeats"]);
      assert.equal(log.count("disconnect"), 0);
      assert.deepEqual(theirEvents.history.filter((event) => event.type === "disconnect"), []);
      assert.equal(relay.connections, 1);
    } finally {
      dealer.close();
      await relay.close();
      await peer().close(router);
    }
  });

  test("a wrong server key: libzmq cannot open our HELLO and closes", async () => {
    const server = await curveKeyPair();
    const impostor = await curveKeyPair();
    const client = await curveKeyPair();
    const router = name("router");
    await peer().socket(router, "Router", { curveServer: true, curveSecretKey: server.secretKey });
    const theirEvents = await peer().events(router);
    const endpoint = await peer().bind(router, "tcp://127.0.0.1:0");
    const dealer = new Dealer({ ...clientKeys(impostor, client), reconnectInterval: RECONNECT_MS });
    const log = new EventLog(dealer);
    try {
      dealer.connect(endpoint);
      const failed = await theirEvents.waitFor("handshake:error:protocol");
      assert.equal(failed.error?.code, "ERR_ZMTP_CRYPTOGRAPHIC");
      const closed = await log.nth("disconnect");
      assert.equal(closed.error, undefined, "closed without an ERROR");
      assert.equal(log.count("handshake"), 0);
    } finally {
      dealer.close();
      await peer().close(router);
    }
  });

  test("a flipped byte in our MESSAGE: libzmq drops the link, delivers nothing forged", async () => {
    const server = await curveKeyPair();
    const client = await curveKeyPair();
    const router = name("router");
    await peer().socket(router, "Router", { curveServer: true, curveSecretKey: server.secretKey });
    const theirEvents = await peer().events(router);
    const relay = await TcpRelay.start(
      await peer().bind(router, "tcp://127.0.0.1:0"),
      flipFirstMessage(),
    );
    const dealer = new Dealer({ ...clientKeys(server, client), reconnectInterval: RECONNECT_MS });
    const log = new EventLog(dealer);
    try {
      dealer.connect(relay.endpoint);
      await dealer.send("tampered");
      const failed = await theirEvents.waitFor("handshake:error:protocol");
      assert.equal(failed.error?.code, "ERR_ZMTP_CRYPTOGRAPHIC");
      // libzmq 4.3.5 does not always close the connection here: with its monitor attached, the
      // event it emits after the failure can overwrite errno with EAGAIN, and the engine then
      // only stops reading (about 1 run in 6). Cut it, so that our client reconnects either way.
      relay.cut();
      await relay.waitForClosedConnections(1);
      // We reconnect; the first message libzmq hands over is the one sent afterwards (once the
      // new connection is up: one sent before we saw the old one close would be lost).
      await log.nth("handshake", 2);
      await dealer.send("clean");
      const [, body] = await peer().receive(router);
      assert.equal(decoder.decode(body), "clean");
      assert.equal(relay.connections, 2);
    } finally {
      dealer.close();
      await relay.close();
      await peer().close(router);
    }
  });

  test("their ZAP handler gets our public key; 400 fails our client for good", async () => {
    await withTheirZap(async (zap) => {
      const server = await curveKeyPair();
      const refused = await curveKeyPair();
      const accepted = await curveKeyPair();
      const router = name("router");
      await peer().socket(router, "Router", {
        curveServer: true,
        curveSecretKey: server.secretKey,
        routingId: "SRVID",
      });
      const theirEvents = await peer().events(router);
      const endpoint = await peer().bind(router, "tcp://127.0.0.1:0");
      const bad = new Dealer({ ...clientKeys(server, refused), reconnectInterval: RECONNECT_MS });
      const badLog = new EventLog(bad);
      const good = new Dealer(clientKeys(server, accepted));
      try {
        bad.connect(endpoint);
        const [id, ...request] = await peer().receive(zap);
        assert.deepEqual(request.slice(0, 7).map((frame) => decoder.decode(frame)), [
          "",
          "1.0",
          "1",
          "",
          "127.0.0.1",
          "SRVID",
          "CURVE",
        ]);
        assert.equal(toHex(request[7]), toHex(z85Decode(refused.publicKey)));
        await peer().send(zap, [id, "", "1.0", "1", "400", "unknown key", "", ""]);
        const failed = await badLog.nth("handshake:error:auth");
        assert.equal(failed.error?.code, "EACCES");
        assert.match(failed.error?.message ?? "", /ERROR "400"/);
        assert.equal((await theirEvents.waitFor("handshake:error:auth")).error?.status, 400);
        // Proving an absence: a reconnecting client would have been put to ZAP again by now.
        await assert.rejects(
          peer().receive(zap, { timeout: QUIET_MS }),
          (error: LibzmqPeerError) => error.code === "EAGAIN",
        );
        assert.equal(badLog.count("connect:retry"), 0, `events: ${badLog.types}`);

        good.connect(endpoint);
        const [goodId, ...goodRequest] = await peer().receive(zap);
        assert.equal(toHex(goodRequest[7]), toHex(z85Decode(accepted.publicKey)));
        await peer().send(zap, [goodId, "", "1.0", "1", "200", "OK", "user", ""]);
        await good.send("accepted");
        const [, body] = await peer().receive(router);
        assert.equal(decoder.decode(body), "accepted");
      } finally {
        bad.close();
        good.close();
        await peer().close(router);
      }
    });
  });
});

describe("CURVE: our server, libzmq client", () => {
  test("our Router ↔ Dealer, no ZAP handler: every frame shape both ways", async () => {
    const server = await curveKeyPair();
    const client = await curveKeyPair();
    const router = new MetadataRouter({ curveServer: true, curveSecretKey: server.secretKey });
    const dealer = name("dealer");
    await peer().socket(dealer, "Dealer", { ...clientKeys(server, client), routingId: "theirs" });
    try {
      await router.bind("tcp://127.0.0.1:0");
      await peer().connect(dealer, router.lastEndpoint!);
      await echoEveryShape(ourRouterTheirDealer(peer(), router, dealer), "theirs");
      assert.equal(router.peers[0].getText("Socket-Type"), "DEALER");
    } finally {
      router.close();
      await peer().close(dealer);
    }
  });

  test("our Publisher → Subscriber: libzmq's subscription arrives inside a MESSAGE", async () => {
    const server = await curveKeyPair();
    const client = await curveKeyPair();
    const publisher = new Publisher({ curveServer: true, curveSecretKey: server.secretKey });
    await publisher.bind("tcp://127.0.0.1:0");
    const relay = await TcpRelay.start(publisher.lastEndpoint!);
    const subscriber = name("sub");
    await peer().socket(subscriber, "Subscriber", clientKeys(server, client));
    try {
      await peer().subscribe(subscriber, "TOPIC-QZX");
      await peer().connect(subscriber, relay.endpoint);
      await untilSubscribed(() => publisher.send("TOPIC-QZX probe"), peer().receive(subscriber));
      await publisher.send("OTHER filtered");
      await publisher.send(["TOPIC-QZX start", "tail"]);
      await skipProbes(() => peer().receive(subscriber), "TOPIC-QZX probe", [
        "TOPIC-QZX start",
        "tail",
      ]);
      assertCurveTraffic(relay);
      assert.equal(containsBytes(relay.capture("upstream"), encoder.encode("SUBSCRIBE")), false);
      assert.equal(containsBytes(relay.capture("upstream"), encoder.encode("TOPIC-QZX")), false);
    } finally {
      publisher.close();
      await relay.close();
      await peer().close(subscriber);
    }
  });

  test("heartbeats both ways inside MESSAGEs; the link stays up", async () => {
    const server = await curveKeyPair();
    const client = await curveKeyPair();
    const router = new MetadataRouter({
      curveServer: true,
      curveSecretKey: server.secretKey,
      ...HEARTBEATS,
    });
    const log = new EventLog(router);
    await router.bind("tcp://127.0.0.1:0");
    const relay = await TcpRelay.start(router.lastEndpoint!);
    const dealer = name("dealer");
    await peer().socket(dealer, "Dealer", {
      ...clientKeys(server, client),
      ...HEARTBEATS,
      routingId: "hb",
    });
    const theirEvents = await peer().events(dealer);
    try {
      await peer().connect(dealer, relay.endpoint);
      await heartbeatTraffic(relay);
      await peer().send(dealer, "after heartbeats");
      const [id, body] = await router.receive();
      assert.deepEqual([decoder.decode(id), decoder.decode(body)], ["hb", "after heartbeats"]);
      assert.equal(log.count("disconnect"), 0);
      assert.deepEqual(theirEvents.history.filter((event) => event.type === "disconnect"), []);
      assert.equal(relay.connections, 1);
    } finally {
      router.close();
      await relay.close();
      await peer().close(dealer);
    }
  });

  test("Authenticator curveKeys: libzmq's unknown key gets ERROR 400 and stops; a known one is served", async () => {
    const server = await curveKeyPair();
    const known = await curveKeyPair();
    const stranger = await curveKeyPair();
    const auth = new Authenticator({ curveKeys: [known.publicKey] });
    await auth.start();
    const router = new MetadataRouter({ curveServer: true, curveSecretKey: server.secretKey });
    const serverLog = new EventLog(router);
    const bad = name("bad");
    const good = name("good");
    await peer().socket(bad, "Dealer", {
      ...clientKeys(server, stranger),
      reconnectInterval: RECONNECT_MS,
    });
    await peer().socket(good, "Dealer", { ...clientKeys(server, known), routingId: "good" });
    const theirEvents = await peer().events(bad);
    try {
      await router.bind("tcp://127.0.0.1:0");
      await peer().connect(bad, router.lastEndpoint!);
      const theirs = await theirEvents.waitFor("handshake:error:auth");
      assert.equal(theirs.error?.status, 400);
      assert.match(
        (await serverLog.nth("handshake:error:auth")).error?.message ?? "",
        /status 400/,
      );
      // Proving an absence: a client that reconnected would have been accepted again by now.
      await quietPeriod(QUIET_MS);
      assert.equal(serverLog.count("accept"), 1);
      assert.deepEqual(theirEvents.history.filter((event) => event.type === "connect:retry"), []);

      await peer().connect(good, router.lastEndpoint!);
      await peer().send(good, "known");
      const [id, body] = await router.receive();
      assert.deepEqual([decoder.decode(id), decoder.decode(body)], ["good", "known"]);
      assert.equal(router.peers[0].getText("User-Id"), known.publicKey);
    } finally {
      router.close();
      auth.close();
      await peer().close(bad);
      await peer().close(good);
    }
  });

  test("libzmq with a wrong server key: our server cannot open its HELLO", async () => {
    const server = await curveKeyPair();
    const impostor = await curveKeyPair();
    const client = await curveKeyPair();
    const router = new MetadataRouter({ curveServer: true, curveSecretKey: server.secretKey });
    const serverLog = new EventLog(router);
    const dealer = name("dealer");
    await peer().socket(dealer, "Dealer", clientKeys(impostor, client));
    const theirEvents = await peer().events(dealer);
    try {
      await router.bind("tcp://127.0.0.1:0");
      await peer().connect(dealer, router.lastEndpoint!);
      const failed = await serverLog.nth("handshake:error:protocol");
      assert.match(failed.error?.message ?? "", /HELLO does not open/);
      await theirEvents.waitFor("disconnect");
      assert.equal(theirEvents.history.some((event) => event.type === "handshake"), false);
      assert.equal(router.peers.length, 0);
    } finally {
      router.close();
      await peer().close(dealer);
    }
  });

  for (const tamper of ["flipped", "replayed"] as const) {
    test(`a ${tamper} MESSAGE from libzmq: protocol error, closed, nothing forged delivered`, async () => {
      const server = await curveKeyPair();
      const client = await curveKeyPair();
      const router = new MetadataRouter({ curveServer: true, curveSecretKey: server.secretKey });
      router.receiveTimeout = 0;
      const serverLog = new EventLog(router);
      await router.bind("tcp://127.0.0.1:0");
      const relay = await TcpRelay.start(
        router.lastEndpoint!,
        tamper === "flipped" ? flipFirstMessage() : replayFirstMessage(),
      );
      const dealer = name("dealer");
      await peer().socket(dealer, "Dealer", {
        ...clientKeys(server, client),
        routingId: "d",
        reconnectInterval: RECONNECT_MS,
      });
      try {
        await peer().connect(dealer, relay.endpoint);
        await peer().send(dealer, "first");
        const failed = await serverLog.nth("handshake:error:protocol");
        assert.match(
          failed.error?.message ?? "",
          tamper === "flipped"
            ? /failed to authenticate/
            : /nonce 3 is not above the last one, 3: replayed/,
        );
        await relay.waitForClosedConnections(1);
        if (tamper === "replayed") {
          // The original was genuine: it is delivered, once.
          const [, body] = await router.receive();
          assert.equal(decoder.decode(body), "first");
        }
        // The failure is found while the frame is decoded: a forged message would be queued now.
        await assert.rejects(router.receive(), { code: "EAGAIN" });
        router.receiveTimeout = -1;
        // libzmq reconnects (no ERROR was sent) and is served again.
        await serverLog.nth("handshake", 2);
        await peer().send(dealer, "clean");
        const [, clean] = await router.receive();
        assert.equal(decoder.decode(clean), "clean");
        assert.equal(relay.connections, 2);
      } finally {
        router.close();
        await relay.close();
        await peer().close(dealer);
      }
    });
  }
});
