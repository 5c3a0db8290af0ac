// PLAIN against libzmq over tcp, both ways round, with Dealer/Router and Publisher/Subscriber:
// libzmq's server asks a ZAP handler bound inside the libzmq process (answered by this test);
// ours asks our own handler. Refusals: 400 (no reconnection) and 300 (reconnection).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import "../../mod.ts";
import { Metadata } from "../../zmtp/metadata.ts";
import { utf8 } from "../../core/bytes.ts";
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
  requestTexts,
  skipProbes,
  theirRouterOurDealer,
  untilSubscribed,
  ZapHandler,
} from "../fixtures/security.ts";

const { peer, name } = libzmqPeerPerFile();
const decoder = new TextDecoder();
const RECONNECT_MS = 20;
/** Fifteen reconnect intervals: a client that retried would have asked again several times. */
const QUIET_MS = 300;
/** The ZAP handler inside the libzmq process, bound on first use for the rest of the file. */
const THEIR_ZAP = "zap";
let theirZapBound: Promise<void> | undefined;

/** Binds the ZAP handler in the libzmq process, once; call before a libzmq server binds. */
function bindTheirZap(): Promise<void> {
  theirZapBound ??= (async () => {
    await peer().socket(THEIR_ZAP, "Router");
    await peer().bind(THEIR_ZAP, "inproc://zeromq.zap.01");
  })();
  return theirZapBound;
}

/** The next ZAP request libzmq's server sent, as text after the routing id, and its routing id. */
async function theirZapRequest(): Promise<{ id: Uint8Array; texts: string[] }> {
  const [id, ...frames] = await peer().receive(THEIR_ZAP);
  return { id, texts: frames.map((frame) => decoder.decode(frame)) };
}

async function answerTheirZap(
  id: Uint8Array,
  status: string,
  userId = "",
  metadata: Uint8Array = new Uint8Array(0),
): Promise<void> {
  await peer().send(THEIR_ZAP, [
    id,
    "",
    "1.0",
    "1",
    status,
    status === "200" ? "OK" : "no",
    userId,
    metadata,
  ]);
}

describe("PLAIN: libzmq server, our client", () => {
  test("Router ↔ our Dealer: libzmq's ZAP request, then every frame shape both ways", async () => {
    await bindTheirZap();
    const router = name("router");
    await peer().socket(router, "Router", {
      plainServer: true,
      routingId: "SRVID",
      zapDomain: "dom",
    });
    const endpoint = await peer().bind(router, "tcp://127.0.0.1:0");
    const dealer = new Dealer({
      plainUsername: "admin",
      plainPassword: "secret",
      routingId: "ours",
    });
    try {
      dealer.connect(endpoint);
      const request = await theirZapRequest();
      assert.deepEqual(request.texts, [
        "",
        "1.0",
        "1",
        "dom",
        "127.0.0.1",
        "SRVID",
        "PLAIN",
        "admin",
        "secret",
      ]);
      await answerTheirZap(
        request.id,
        "200",
        "admin",
        new Metadata([["X-Foo", utf8("bar")]]).encode(),
      );
      await echoEveryShape(theirRouterOurDealer(peer(), router, dealer), "ours");
    } finally {
      dealer.close();
      await peer().close(router);
    }
  });

  test("Publisher → our Subscriber: subscription and messages after PLAIN", async () => {
    await bindTheirZap();
    const publisher = name("pub");
    await peer().socket(publisher, "Publisher", { plainServer: true });
    const endpoint = await peer().bind(publisher, "tcp://127.0.0.1:0");
    const subscriber = new Subscriber({ plainUsername: "reader", plainPassword: "pw" });
    try {
      subscriber.subscribe("A");
      subscriber.connect(endpoint);
      const request = await theirZapRequest();
      assert.deepEqual(request.texts.slice(6), ["PLAIN", "reader", "pw"]);
      await answerTheirZap(request.id, "200");
      await untilSubscribed(() => peer().send(publisher, "A-probe"), subscriber.receive());
      await peer().send(publisher, "B-filtered");
      await peer().send(publisher, ["A-start", "tail"]);
      await skipProbes(() => subscriber.receive(), "A-probe", ["A-start", "tail"]);
    } finally {
      subscriber.close();
      await peer().close(publisher);
    }
  });

  test("400: libzmq's (misspelled) ERROR fails our client for good", async () => {
    await bindTheirZap();
    const router = name("router");
    await peer().socket(router, "Router", { plainServer: true });
    const theirEvents = await peer().events(router);
    const endpoint = await peer().bind(router, "tcp://127.0.0.1:0");
    const dealer = new Dealer({
      plainUsername: "admin",
      plainPassword: "wrong",
      reconnectInterval: RECONNECT_MS,
    });
    const log = new EventLog(dealer);
    try {
      dealer.connect(endpoint);
      await answerTheirZap((await theirZapRequest()).id, "400");
      const refused = await log.nth("handshake:error:auth");
      assert.equal(refused.error?.code, "EACCES");
      assert.match(refused.error?.message ?? "", /ERROR "400"/);
      const theirs = await theirEvents.waitFor("handshake:error:auth");
      assert.equal(theirs.error?.status, 400);
      // Proving an absence: a reconnecting client would have been put to ZAP again by now.
      await assert.rejects(
        peer().receive(THEIR_ZAP, { timeout: QUIET_MS }),
        (error: LibzmqPeerError) => error.code === "EAGAIN",
      );
      assert.equal(log.count("connect:retry"), 0, `events: ${log.types}`);
    } finally {
      dealer.close();
      await peer().close(router);
    }
  });

  test("300: no ERROR from libzmq; our client retries", async () => {
    await bindTheirZap();
    const router = name("router");
    await peer().socket(router, "Router", { plainServer: true });
    const theirEvents = await peer().events(router);
    const endpoint = await peer().bind(router, "tcp://127.0.0.1:0");
    // libzmq 4.3.5 sends no ERROR after a 300, and most often does not close either (seen: about
    // 1 run in 10 does close): our handshake timeout ends the wait then.
    const dealer = new Dealer({
      plainUsername: "admin",
      plainPassword: "secret",
      reconnectInterval: RECONNECT_MS,
      handshakeInterval: 250,
    });
    const log = new EventLog(dealer);
    try {
      dealer.connect(endpoint);
      await answerTheirZap((await theirZapRequest()).id, "300");
      // Only the first connection needs the short limit (options apply to new connections).
      dealer.handshakeInterval = 30_000;
      const theirs = await theirEvents.waitFor("handshake:error:auth");
      assert.equal(theirs.error?.status, 300);
      const retry = await theirZapRequest();
      assert.deepEqual(retry.texts.slice(6), ["PLAIN", "admin", "secret"]);
      await answerTheirZap(retry.id, "200");
      await dealer.send("made it");
      const [, body] = await peer().receive(router);
      assert.equal(decoder.decode(body), "made it");
      assert.equal(log.count("handshake:error:auth"), 0, `events: ${log.types}`);
      const ended = await log.nth("disconnect");
      assert.ok(
        ended.error === undefined || ended.error.code === "ETIMEDOUT",
        `closed by libzmq or timed out, not ${ended.error?.message}`,
      );
      assert.ok(log.count("connect:retry") >= 1);
    } finally {
      dealer.close();
      await peer().close(router);
    }
  });
});

describe("PLAIN: our server, libzmq client", () => {
  test("our Router ↔ Dealer: our ZAP handler sees libzmq's credentials; every frame shape", async () => {
    const zap = await ZapHandler.start();
    const router = new MetadataRouter({ plainServer: true, routingId: "OURS", zapDomain: "d" });
    const dealer = name("dealer");
    await peer().socket(dealer, "Dealer", {
      plainUsername: "admin",
      plainPassword: "secret",
      routingId: "theirs",
    });
    try {
      await router.bind("tcp://127.0.0.1:0");
      await peer().connect(dealer, router.lastEndpoint!);
      const request = await zap.next();
      assert.deepEqual(requestTexts(request), [
        "",
        "1.0",
        "1",
        "d",
        "127.0.0.1",
        "OURS",
        "PLAIN",
        "admin",
        "secret",
      ]);
      await zap.reply(request, { status: "200", userId: "admin" });
      await echoEveryShape(ourRouterTheirDealer(peer(), router, dealer), "theirs");
      assert.equal(router.peers[0].getText("User-Id"), "admin");
      assert.equal(router.peers[0].getText("Socket-Type"), "DEALER");
    } finally {
      router.close();
      zap.close();
      await peer().close(dealer);
    }
  });

  test("our Publisher → Subscriber: subscription and messages after PLAIN", async () => {
    const zap = await ZapHandler.start(() => ({ status: "200" }));
    const publisher = new Publisher({ plainServer: true });
    const subscriber = name("sub");
    await peer().socket(subscriber, "Subscriber", { plainUsername: "reader", plainPassword: "pw" });
    try {
      await peer().subscribe(subscriber, "A");
      await publisher.bind("tcp://127.0.0.1:0");
      await peer().connect(subscriber, publisher.lastEndpoint!);
      await untilSubscribed(() => publisher.send("A-probe"), peer().receive(subscriber));
      await publisher.send("B-filtered");
      await publisher.send(["A-start", "tail"]);
      await skipProbes(() => peer().receive(subscriber), "A-probe", ["A-start", "tail"]);
      assert.deepEqual(requestTexts(zap.requests[0]).slice(6), ["PLAIN", "reader", "pw"]);
    } finally {
      publisher.close();
      zap.close();
      await peer().close(subscriber);
    }
  });

  test("a wrong password: our ERROR 400 ends libzmq's attempts; other clients still served", async () => {
    const zap = await ZapHandler.start((request) => ({
      status: decoder.decode(request.frames[8]) === "secret" ? "200" : "400",
    }));
    const router = new MetadataRouter({ plainServer: true });
    const serverLog = new EventLog(router);
    const bad = name("bad");
    const good = name("good");
    await peer().socket(bad, "Dealer", {
      plainUsername: "admin",
      plainPassword: "wrong",
      reconnectInterval: RECONNECT_MS,
    });
    await peer().socket(good, "Dealer", {
      plainUsername: "admin",
      plainPassword: "secret",
      routingId: "good",
    });
    const theirEvents = await peer().events(bad);
    try {
      await router.bind("tcp://127.0.0.1:0");
      await peer().connect(bad, router.lastEndpoint!);
      const failed = await serverLog.nth("handshake:error:auth");
      assert.match(failed.error?.message ?? "", /status 400/);
      // libzmq's PLAIN client does not know a well-formed ERROR (its own is misspelled): it
      // reports an unexpected command, and does not reconnect either.
      const theirs = await theirEvents.waitFor((event) => event.type.startsWith("handshake:error"));
      assert.equal(theirs.type, "handshake:error:protocol");
      assert.equal(theirs.error?.code, "ERR_ZMTP_UNEXPECTED_COMMAND");
      // Proving an absence: a client that reconnected would have been asked about again.
      await quietPeriod(QUIET_MS);
      assert.equal(zap.requests.length, 1);
      assert.deepEqual(theirEvents.history.filter((event) => event.type === "connect:retry"), []);

      await peer().connect(good, router.lastEndpoint!);
      await peer().send(good, "still serving");
      const [id, body] = await router.receive();
      assert.equal(decoder.decode(id), "good");
      assert.equal(decoder.decode(body), "still serving");
    } finally {
      router.close();
      zap.close();
      await peer().close(bad);
      await peer().close(good);
    }
  });

  test("our 300: closed without ERROR, so libzmq reconnects and is asked about again", async () => {
    let answered = 0;
    const zap = await ZapHandler.start(() => ({ status: answered++ === 0 ? "300" : "200" }));
    const router = new MetadataRouter({ plainServer: true });
    const serverLog = new EventLog(router);
    const dealer = name("dealer");
    await peer().socket(dealer, "Dealer", {
      plainUsername: "admin",
      plainPassword: "secret",
      routingId: "retrier",
      reconnectInterval: RECONNECT_MS,
    });
    const theirEvents = await peer().events(dealer);
    try {
      await router.bind("tcp://127.0.0.1:0");
      await peer().connect(dealer, router.lastEndpoint!);
      await peer().send(dealer, "queued before the retry");
      const [id, body] = await router.receive();
      assert.equal(decoder.decode(id), "retrier");
      assert.equal(decoder.decode(body), "queued before the retry");
      assert.equal(zap.requests.length, 2);
      assert.match(
        (await serverLog.nth("handshake:error:auth")).error?.message ?? "",
        /status 300/,
      );
      await theirEvents.waitFor("connect:retry");
      // The close shows as a broken pipe ("other"), never as an auth or protocol failure.
      const failures = theirEvents.history.map((event) => event.type);
      assert.equal(failures.includes("handshake:error:auth"), false, `events: ${failures}`);
      assert.equal(failures.includes("handshake:error:protocol"), false, `events: ${failures}`);
    } finally {
      router.close();
      zap.close();
      await peer().close(dealer);
    }
  });
});
