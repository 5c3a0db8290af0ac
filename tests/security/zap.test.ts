// ZAP (RFC 27) as our server sockets speak it to a handler bound at inproc://zeromq.zap.01: the
// request frames exactly as libzmq sends them, the reply's User-Id and properties reaching the
// peer's metadata, each status code's effect on the client, and NULL with a ZAP domain.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import "../../mod.ts";
import { toHex, utf8 } from "../../core/bytes.ts";
import { z85Decode } from "../../core/z85.ts";
import { Authenticator, type AuthenticatorOptions } from "../../sockets/authenticator.ts";
import { curveKeyPair } from "../../sockets/curve_loader.ts";
import { Dealer } from "../../sockets/dealer.ts";
import { Metadata } from "../../zmtp/metadata.ts";
import {
  EventLog,
  MetadataRouter,
  quietPeriod,
  requestTexts,
  ZapHandler,
} from "../fixtures/security.ts";
import { texts } from "../fixtures/sockets.ts";

const RECONNECT_MS = 20;
/** Fifteen reconnect intervals: a client that retried would have asked again several times. */
const QUIET_MS = 300;

function plainClient(extra: object = {}): Dealer {
  return new Dealer({ plainUsername: "admin", plainPassword: "secret", ...extra });
}

describe("ZAP requests and replies", () => {
  test("PLAIN: the request frames are libzmq's; User-Id and properties reach the peer", async () => {
    const zap = await ZapHandler.start();
    const router = new MetadataRouter({
      plainServer: true,
      zapDomain: "global",
      routingId: "SRVID",
    });
    const dealer = plainClient({ routingId: "client-id" });
    try {
      await router.bind("tcp://127.0.0.1:0");
      const handshake = router.events.next("handshake");
      dealer.connect(router.lastEndpoint!);
      const request = await zap.next();
      assert.deepEqual(requestTexts(request), [
        "",
        "1.0",
        "1",
        "global",
        "127.0.0.1",
        "SRVID", // the server socket's own routing id, as libzmq sends it
        "PLAIN",
        "admin",
        "secret",
      ]);
      const metadata = new Metadata([["X-Foo", utf8("bar")], ["X-Empty", new Uint8Array(0)]]);
      await zap.reply(request, {
        status: "200",
        text: "OK",
        userId: "alice",
        metadata: metadata.encode(),
      });
      await dealer.send("hi");
      const [id, body] = await router.receive();
      assert.equal(new TextDecoder().decode(body), "hi");
      const peer = router.peers[0];
      assert.equal(peer.getText("User-Id"), "alice");
      assert.equal(peer.getText("X-Foo"), "bar");
      assert.equal(peer.getText("X-Empty"), "");
      assert.equal(peer.getText("Socket-Type"), "DEALER");
      assert.equal(peer.getText("Identity"), "client-id");
      // The same properties, as the application sees them: on the "handshake" event.
      const properties = (await handshake).properties;
      const text = (name: string): string | undefined => {
        const value = properties?.get(name);
        return value === undefined ? undefined : new TextDecoder().decode(value);
      };
      assert.deepEqual(
        ["User-Id", "X-Foo", "X-Empty", "Socket-Type", "Identity"].map(text),
        ["alice", "bar", "", "DEALER", "client-id"],
      );
      await router.send([id, "back"]);
      assert.deepEqual(texts(await dealer.receive()), ["back"]);
      assert.equal(zap.requests.length, 1);
    } finally {
      dealer.close();
      router.close();
      zap.close();
    }
  });

  test("CURVE: the credential is the client's 32-byte public key; the domain is empty by default", async () => {
    const zap = await ZapHandler.start();
    const server = await curveKeyPair();
    const client = await curveKeyPair();
    const router = new MetadataRouter({ curveServer: true, curveSecretKey: server.secretKey });
    const dealer = new Dealer({
      curveServerKey: server.publicKey,
      curvePublicKey: client.publicKey,
      curveSecretKey: client.secretKey,
    });
    try {
      await router.bind("tcp://127.0.0.1:0");
      dealer.connect(router.lastEndpoint!);
      const request = await zap.next();
      assert.equal(request.frames.length, 8);
      assert.deepEqual(requestTexts(request).slice(0, 7), [
        "",
        "1.0",
        "1",
        "",
        "127.0.0.1",
        "",
        "CURVE",
      ]);
      assert.equal(toHex(request.frames[7]), toHex(z85Decode(client.publicKey)));
      await zap.reply(request, { status: "200", userId: "curve-user" });
      await dealer.send("sealed");
      const [, body] = await router.receive();
      assert.equal(new TextDecoder().decode(body), "sealed");
      assert.equal(router.peers[0].getText("User-Id"), "curve-user");
    } finally {
      dealer.close();
      router.close();
      zap.close();
    }
  });

  test("NULL with a ZAP domain: accepted peers are asked about; without one, they are not", async () => {
    const zap = await ZapHandler.start();
    const guarded = new MetadataRouter({ zapDomain: "null-domain", routingId: "G" });
    const open = new MetadataRouter();
    const first = new Dealer();
    const second = new Dealer({ reconnectInterval: RECONNECT_MS });
    const secondLog = new EventLog(second);
    const third = new Dealer();
    try {
      await open.bind("tcp://127.0.0.1:0");
      third.connect(open.lastEndpoint!);
      await third.send("no zap");
      await open.receive();
      assert.equal(zap.requests.length, 0, "NULL without a domain never asks the handler");

      await guarded.bind("tcp://127.0.0.1:0");
      first.connect(guarded.lastEndpoint!);
      const request = await zap.next();
      assert.deepEqual(requestTexts(request), [
        "",
        "1.0",
        "1",
        "null-domain",
        "127.0.0.1",
        "G",
        "NULL",
      ]);
      await zap.reply(request, { status: "200", userId: "null-user" });
      await first.send("through zap");
      const [, body] = await guarded.receive();
      assert.equal(new TextDecoder().decode(body), "through zap");
      assert.equal(guarded.peers[0].getText("User-Id"), "null-user");

      second.connect(guarded.lastEndpoint!);
      await zap.reply(await zap.next(), { status: "400", text: "go away" });
      const refused = await secondLog.nth("handshake:error:auth");
      assert.match(refused.error?.message ?? "", /ERROR "400"/);
    } finally {
      first.close();
      second.close();
      third.close();
      guarded.close();
      open.close();
      zap.close();
    }
  });

  test("300: closed without ERROR, so the client reconnects and asks again", async () => {
    const zap = await ZapHandler.start();
    const router = new MetadataRouter({ plainServer: true });
    const serverLog = new EventLog(router);
    const dealer = plainClient({ reconnectInterval: RECONNECT_MS });
    const clientLog = new EventLog(dealer);
    try {
      await router.bind("tcp://127.0.0.1:0");
      dealer.connect(router.lastEndpoint!);
      await zap.reply(await zap.next(), { status: "300", text: "try later" });
      const failed = await serverLog.nth("handshake:error:auth");
      assert.match(failed.error?.message ?? "", /status 300: try later/);
      // The second request is the reconnection: accept it this time.
      const retry = await zap.next();
      assert.equal(requestTexts(retry)[6], "PLAIN");
      await zap.reply(retry, { status: "200" });
      await dealer.send("second time lucky");
      const [, body] = await router.receive();
      assert.equal(new TextDecoder().decode(body), "second time lucky");
      assert.equal(clientLog.count("handshake:error:auth"), 0, `events: ${clientLog.types}`);
      assert.ok(clientLog.count("connect:retry") >= 1);
      assert.equal(clientLog.events.find((event) => event.type === "disconnect")?.error, undefined);
    } finally {
      dealer.close();
      router.close();
      zap.close();
    }
  });

  for (const status of ["400", "500"] as const) {
    test(`${status}: ERROR ${status} to the client, which does not reconnect`, async () => {
      const zap = await ZapHandler.start();
      const router = new MetadataRouter({ plainServer: true });
      const serverLog = new EventLog(router);
      const dealer = plainClient({ reconnectInterval: RECONNECT_MS });
      const clientLog = new EventLog(dealer);
      try {
        await router.bind("tcp://127.0.0.1:0");
        dealer.connect(router.lastEndpoint!);
        await zap.reply(await zap.next(), { status, text: "no" });
        const refused = await clientLog.nth("handshake:error:auth");
        assert.equal(refused.error?.code, "EACCES");
        assert.match(refused.error?.message ?? "", new RegExp(`ERROR "${status}"`));
        assert.match(
          (await serverLog.nth("handshake:error:auth")).error?.message ?? "",
          new RegExp(status),
        );
        // Proving an absence: a client that reconnected would have asked again within this time.
        await quietPeriod(QUIET_MS);
        assert.equal(zap.requests.length, 1);
        assert.equal(clientLog.count("connect:retry"), 0, `events: ${clientLog.types}`);
      } finally {
        dealer.close();
        router.close();
        zap.close();
      }
    });
  }

  const malformed: [string, (string | Uint8Array)[]][] = [
    ["a wrong version", ["", "2.0", "1", "200", "", "", ""]],
    ["another request id", ["", "1.0", "2", "200", "", "", ""]],
    ["a status outside 200/300/400/500", ["", "1.0", "1", "201", "", "", ""]],
    ["one frame too few", ["", "1.0", "1", "200", "", ""]],
    ["no empty delimiter", ["x", "1.0", "1", "200", "", "", ""]],
    ["metadata that does not parse", ["", "1.0", "1", "200", "", "", new Uint8Array([5, 0x41])]],
  ];
  for (const [what, frames] of malformed) {
    test(`a reply with ${what} closes the connection as a protocol error`, async () => {
      const zap = await ZapHandler.start();
      const router = new MetadataRouter({ plainServer: true });
      const serverLog = new EventLog(router);
      const dealer = plainClient();
      const clientLog = new EventLog(dealer);
      try {
        await router.bind("tcp://127.0.0.1:0");
        dealer.connect(router.lastEndpoint!);
        await zap.replyRaw(await zap.next(), frames);
        const failed = await serverLog.nth("handshake:error:protocol");
        assert.match(failed.error?.message ?? "", /ZAP|metadata|property/i);
        await clientLog.nth("disconnect");
        assert.equal(clientLog.count("handshake"), 0);
        assert.equal(router.peers.length, 0);
      } finally {
        dealer.close();
        router.close();
        zap.close();
      }
    });
  }

  const rules: [string, AuthenticatorOptions, string | undefined][] = [
    ["a denied address is refused", { deny: ["127.0.0.1"] }, "400"],
    ["an address outside the allow list is refused", { allow: ["10.0.0.1"] }, "400"],
    ["an allowed address passes", { allow: ["127.0.0.1"] }, undefined],
    ["a decision that throws is an internal error", {
      authenticate: () => {
        throw new Error("handler bug");
      },
    }, "500"],
  ];
  for (const [what, options, refusal] of rules) {
    test(`Authenticator: ${what}`, async () => {
      const auth = new Authenticator(options);
      await auth.start();
      const router = new MetadataRouter({ zapDomain: "rules" });
      const dealer = new Dealer();
      const log = new EventLog(dealer);
      try {
        await router.bind("tcp://127.0.0.1:0");
        dealer.connect(router.lastEndpoint!);
        if (refusal === undefined) {
          await dealer.send("let in");
          const [, body] = await router.receive();
          assert.equal(new TextDecoder().decode(body), "let in");
        } else {
          const refused = await log.nth("handshake:error:auth");
          assert.match(refused.error?.message ?? "", new RegExp(`ERROR "${refusal}"`));
          assert.equal(router.peers.length, 0);
        }
      } finally {
        dealer.close();
        router.close();
        auth.close();
      }
    });
  }

  test("Authenticator: a second handler in the process is refused with EADDRINUSE", async () => {
    const first = new Authenticator();
    await first.start();
    const second = new Authenticator();
    try {
      await assert.rejects(second.start(), { code: "EADDRINUSE" });
    } finally {
      second.close();
      first.close();
    }
  });
});
