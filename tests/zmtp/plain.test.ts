// PLAIN (RFC 24) between two sessions, with the authenticator's answers played by the test.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { concatBytes, fromAscii, fromHex, toHex, utf8 } from "../../core/bytes.ts";
import { Metadata } from "../../zmtp/metadata.ts";
import { PlainMechanism } from "../../zmtp/plain_mechanism.ts";
import type { ZapReply } from "../../zmtp/zap.ts";
import {
  assertFailed,
  assertOpen,
  greetingBytes,
  outputHex,
  pump,
  type Side,
  side,
} from "../fixtures/sessions.ts";

function plainPair(): { client: Side; server: Side } {
  const client = side("DEALER", {
    mechanism: new PlainMechanism({
      server: false,
      username: utf8("admin"),
      password: utf8("secret"),
    }),
  });
  const server = side("ROUTER", { mechanism: new PlainMechanism({ server: true }) });
  client.session.start(0);
  server.session.start(0);
  return { client, server };
}

function reply(
  statusCode: ZapReply["statusCode"],
  userId = "",
  metadata = new Metadata(),
): ZapReply {
  return { statusCode, statusText: statusCode === "200" ? "OK" : "no", userId, metadata };
}

describe("PLAIN", () => {
  test("HELLO carries the credentials to the authenticator; 200 completes the handshake", () => {
    const { client, server } = plainPair();
    pump(client, server, 0);
    assert.deepEqual(server.session.takeAuthRequest()?.map((c) => fromAscii(c)), [
      "admin",
      "secret",
    ]);
    assert.equal(server.session.takeAuthRequest(), undefined);
    server.session.authenticated(reply("200", "admin", new Metadata([["X-Role", utf8("ops")]])));
    pump(client, server, 0);
    assert.equal(client.session.ready, true);
    assert.equal(server.session.ready, true);
    const peer = server.done[0].peer;
    assert.equal(peer.getText("Socket-Type"), "DEALER");
    assert.equal(peer.getText("User-Id"), "admin");
    assert.equal(peer.getText("X-Role"), "ops");
    assert.equal(client.done[0].peer.getText("Socket-Type"), "ROUTER");
  });

  test("the client's greeting and HELLO are libzmq's bytes", () => {
    const { client } = plainPair();
    const output = concatBytes(client.session.takeOutput());
    assert.equal(fromAscii(output, 12, 17), "PLAIN");
    const greeting = greetingBytes();
    greeting.set(utf8("PLAIN"), 12);
    client.session.receive(greeting, 0);
    assert.equal(
      outputHex(client),
      "041305" + "48454c4c4f" + "05" + toHex(utf8("admin")) + "06" + toHex(utf8("secret")),
    );
  });

  test("400 and 500 send ERROR with the status and fail both sides as auth failures", () => {
    for (const status of ["400", "500"] as const) {
      const { client, server } = plainPair();
      pump(client, server, 0);
      server.session.takeAuthRequest();
      server.session.authenticated(reply(status));
      assertFailed(server, "auth", new RegExp(`status ${status}`));
      pump(client, server, 0);
      assertFailed(client, "auth", new RegExp(`ERROR "${status}"`));
    }
  });

  test("300 closes without a word: the client sees no ERROR (it will reconnect)", () => {
    const { client, server } = plainPair();
    pump(client, server, 0);
    server.session.takeAuthRequest();
    server.session.authenticated(reply("300"));
    assertFailed(server, "auth", /status 300/);
    assert.deepEqual(server.session.takeOutput(), []);
    assertOpen(client);
  });

  test("libzmq's misspelled ERROR (5e RROR) is still an ERROR to our client", () => {
    const { client, server } = plainPair();
    pump(client, server, 0);
    client.session.receive(fromHex("04 09 5e 52 52 4f 52 03 34 30 30"), 0);
    assertFailed(client, "auth", /ERROR "400"/);
    void server;
  });

  test("a HELLO of the wrong size is a protocol error", () => {
    const server = side("ROUTER", { mechanism: new PlainMechanism({ server: true }) });
    server.session.start(0);
    const greeting = greetingBytes();
    greeting.set(utf8("PLAIN"), 12);
    // HELLO claiming a 5-byte username but carrying 4.
    server.session.receive(
      concatBytes([greeting, fromHex("04 0c 05 48454c4c4f 05 61646d69 00")]),
      0,
    );
    assertFailed(server, "protocol", /malformed PLAIN HELLO/);
  });

  test("a command while the credentials are being checked is a protocol error", () => {
    const { client, server } = plainPair();
    pump(client, server, 0);
    server.session.receive(fromHex("04 06 05 52 45 41 44 59"), 0);
    assertFailed(server, "protocol", /while its credentials were being checked/);
  });
});
