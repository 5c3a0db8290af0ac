// PLAIN between our own sockets over tcp, with the built-in Authenticator as the ZAP handler:
// accepted credentials, a wrong password (ERROR 400, no reconnection, other peers still served),
// and no handler at all (refused without a word).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import "../../mod.ts";
import { Authenticator, type AuthRequest } from "../../sockets/authenticator.ts";
import { Dealer } from "../../sockets/dealer.ts";
import { isInprocBound } from "../../sockets/inproc.ts";
import { Publisher } from "../../sockets/publisher.ts";
import { Subscriber } from "../../sockets/subscriber.ts";
import {
  EventLog,
  MetadataRouter,
  quietPeriod,
  skipProbes,
  untilSubscribed,
} from "../fixtures/security.ts";
import { texts } from "../fixtures/sockets.ts";

/** Reconnection attempts come this often, so that one not prevented would show quickly. */
const RECONNECT_MS = 20;
/** Fifteen reconnect intervals: a client that retried would have done so several times. */
const QUIET_MS = 300;

/** A round trip from `dealer` through `router` and back. */
async function roundTrip(dealer: Dealer, router: MetadataRouter, text: string): Promise<void> {
  await dealer.send(text);
  const [id, body] = await router.receive();
  assert.equal(new TextDecoder().decode(body), text);
  await router.send([id, `re: ${text}`]);
  assert.deepEqual(texts(await dealer.receive()), [`re: ${text}`]);
}

describe("PLAIN between our sockets", () => {
  test("the right password: the Authenticator sees the credentials, User-Id reaches the peer", async () => {
    const seen: AuthRequest[] = [];
    const auth = new Authenticator({
      authenticate: (request) => {
        seen.push(request);
        return request.username === "admin" && request.password === "secret"
          ? { status: 200, userId: "admin-user", metadata: { "X-Role": "ops" } }
          : false;
      },
    });
    await auth.start();
    const router = new MetadataRouter({ plainServer: true, zapDomain: "plain-domain" });
    const dealer = new Dealer({ plainUsername: "admin", plainPassword: "secret", routingId: "d1" });
    try {
      assert.equal(router.securityMechanism, "PLAIN");
      assert.equal(dealer.securityMechanism, "PLAIN");
      await router.bind("tcp://127.0.0.1:0");
      dealer.connect(router.lastEndpoint!);
      await roundTrip(dealer, router, "hello");
      assert.equal(seen.length, 1);
      assert.deepEqual(
        { ...seen[0] },
        {
          domain: "plain-domain",
          address: "127.0.0.1",
          mechanism: "PLAIN",
          username: "admin",
          password: "secret",
        },
      );
      const peer = router.peers[0];
      assert.equal(peer.getText("Socket-Type"), "DEALER");
      assert.equal(peer.getText("Identity"), "d1");
      assert.equal(peer.getText("User-Id"), "admin-user");
      assert.equal(peer.getText("X-Role"), "ops");
    } finally {
      dealer.close();
      router.close();
      auth.close();
    }
  });

  test("a wrong password: ERROR 400, auth failure on both sides, no reconnection; others served", async () => {
    let requests = 0;
    const auth = new Authenticator({
      authenticate: (request) => {
        requests++;
        return request.password === "secret";
      },
    });
    await auth.start();
    const router = new MetadataRouter({ plainServer: true });
    const serverLog = new EventLog(router);
    const good = new Dealer({ plainUsername: "admin", plainPassword: "secret" });
    const bad = new Dealer({
      plainUsername: "admin",
      plainPassword: "wrong",
      reconnectInterval: RECONNECT_MS,
    });
    const badLog = new EventLog(bad);
    const late = new Dealer({ plainUsername: "admin", plainPassword: "secret" });
    try {
      await router.bind("tcp://127.0.0.1:0");
      good.connect(router.lastEndpoint!);
      await roundTrip(good, router, "before");

      bad.connect(router.lastEndpoint!);
      const clientError = await badLog.nth("handshake:error:auth");
      assert.equal(clientError.error?.code, "EACCES");
      assert.match(clientError.error?.message ?? "", /ERROR "400"/);
      const serverError = await serverLog.nth("handshake:error:auth");
      assert.match(serverError.error?.message ?? "", /status 400/);

      // Proving an absence: a client that reconnected would have asked again within this time.
      await quietPeriod(QUIET_MS);
      assert.equal(badLog.count("connect:retry"), 0, `events: ${badLog.types}`);
      assert.equal(badLog.count("connect"), 1);
      assert.equal(badLog.count("handshake"), 0);
      assert.equal(requests, 2, "one request for the good client, one for the bad");
      assert.equal(serverLog.count("handshake"), 1);

      await roundTrip(good, router, "after");
      late.connect(router.lastEndpoint!);
      await roundTrip(late, router, "late");
    } finally {
      good.close();
      bad.close();
      late.close();
      router.close();
      auth.close();
    }
  });

  test("no ZAP handler: the server refuses without an ERROR, and the client keeps retrying", async () => {
    assert.equal(isInprocBound("zeromq.zap.01"), false, "a ZAP handler leaked from another test");
    const router = new MetadataRouter({ plainServer: true });
    const serverLog = new EventLog(router);
    const dealer = new Dealer({
      plainUsername: "admin",
      plainPassword: "secret",
      reconnectInterval: RECONNECT_MS,
    });
    const clientLog = new EventLog(dealer);
    try {
      await router.bind("tcp://127.0.0.1:0");
      dealer.connect(router.lastEndpoint!);
      const refused = await serverLog.nth("handshake:error:auth");
      assert.match(refused.error?.message ?? "", /status 300: no ZAP handler/);
      // Silently refused (no ERROR), the client reconnects and is refused again.
      await clientLog.nth("connect:retry");
      await serverLog.nth("handshake:error:auth", 2);
      assert.equal(clientLog.count("handshake:error:auth"), 0, `events: ${clientLog.types}`);
      assert.equal(clientLog.count("handshake:error:protocol"), 0);
      assert.equal(clientLog.count("handshake"), 0);
      assert.equal(clientLog.events.find((event) => event.type === "disconnect")?.error, undefined);
      assert.equal(serverLog.count("handshake"), 0);
    } finally {
      dealer.close();
      router.close();
    }
  });

  test("Publisher and Subscriber: the subscription and messages flow after PLAIN", async () => {
    const auth = new Authenticator({ passwords: { reader: "pw" } });
    await auth.start();
    const publisher = new Publisher({ plainServer: true });
    const subscriber = new Subscriber({ plainUsername: "reader", plainPassword: "pw" });
    try {
      await publisher.bind("tcp://127.0.0.1:0");
      subscriber.subscribe("A");
      subscriber.connect(publisher.lastEndpoint!);
      await untilSubscribed(() => publisher.send(["A-probe"]), subscriber.receive());
      await publisher.send(["B-filtered"]);
      await publisher.send(["A-start"]);
      await skipProbes(() => subscriber.receive(), "A-probe", ["A-start"]);
      await publisher.send(["A-data", "payload"]);
      assert.deepEqual(texts(await subscriber.receive()), ["A-data", "payload"]);
    } finally {
      subscriber.close();
      publisher.close();
      auth.close();
    }
  });
});
