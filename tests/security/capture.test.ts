// What a wiretap sees: a CURVE session recorded in both directions by a relay holds none of the
// payloads, nor the client's long-term public key (it travels only inside INITIATE's box). The
// same search over a PLAIN session finds them all, which shows that the search can fail.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import "../../mod.ts";
import { z85Decode } from "../../core/z85.ts";
import { Authenticator } from "../../sockets/authenticator.ts";
import { curveKeyPair } from "../../sockets/curve_loader.ts";
import { Dealer } from "../../sockets/dealer.ts";
import { Router } from "../../sockets/router.ts";
import type { SocketOptions } from "../../sockets/options.ts";
import { texts } from "../fixtures/sockets.ts";
import { containsBytes, TcpRelay } from "../fixtures/tcp_relay.ts";

const encoder = new TextEncoder();
const REQUEST = "CANARY-REQUEST-7f3a9c-the-quick-brown-fox";
const REPLY = "CANARY-REPLY-51d2e8-jumps-over-the-lazy-dog";
/** A large frame, sent in the long form, repeating a marker that must not appear in the capture. */
const BULK = "CANARY-BULK-0b77".repeat(4096);

/** Runs one request and reply through a recording relay and returns both directions' bytes. */
async function recorded(
  serverOptions: SocketOptions,
  clientOptions: SocketOptions,
): Promise<{ upstream: Uint8Array; downstream: Uint8Array }> {
  const router = new Router(serverOptions);
  await router.bind("tcp://127.0.0.1:0");
  const relay = await TcpRelay.start(router.lastEndpoint!);
  const dealer = new Dealer(clientOptions);
  try {
    dealer.connect(relay.endpoint);
    await dealer.send([REQUEST, BULK]);
    const [id, request, bulk] = await router.receive();
    assert.deepEqual(texts([request]), [REQUEST]);
    assert.equal(bulk.length, BULK.length);
    await router.send([id, REPLY, BULK]);
    assert.deepEqual(texts(await dealer.receive()).map((text) => text.slice(0, 64)), [
      REPLY,
      BULK.slice(0, 64),
    ]);
    return { upstream: relay.capture("upstream"), downstream: relay.capture("downstream") };
  } finally {
    dealer.close();
    router.close();
    await relay.close();
  }
}

describe("a capture of the session's bytes", () => {
  test("CURVE: no payload and no client public key in either direction", async () => {
    const server = await curveKeyPair();
    const client = await curveKeyPair();
    const { upstream, downstream } = await recorded(
      { curveServer: true, curveSecretKey: server.secretKey },
      {
        curveServerKey: server.publicKey,
        curvePublicKey: client.publicKey,
        curveSecretKey: client.secretKey,
      },
    );
    // The capture is real: it holds the greeting's mechanism name and the bulk's ciphertext.
    assert.ok(containsBytes(upstream, encoder.encode("CURVE")));
    assert.ok(upstream.length > BULK.length && downstream.length > BULK.length);
    for (const capture of [upstream, downstream]) {
      for (const secret of [REQUEST, REPLY, "CANARY", "0b77CANARY"]) {
        assert.equal(containsBytes(capture, encoder.encode(secret)), false, `found ${secret}`);
      }
      assert.equal(
        containsBytes(capture, z85Decode(client.publicKey)),
        false,
        "client key in clear",
      );
      assert.equal(
        containsBytes(capture, z85Decode(server.publicKey)),
        false,
        "server key in clear",
      );
    }
  });

  test("PLAIN (the control): payloads and the password are there in clear", async () => {
    const auth = new Authenticator({ passwords: { admin: "pw-CANARY-91" } });
    await auth.start();
    try {
      const { upstream, downstream } = await recorded(
        { plainServer: true },
        { plainUsername: "admin", plainPassword: "pw-CANARY-91" },
      );
      assert.ok(containsBytes(upstream, encoder.encode(REQUEST)));
      assert.ok(containsBytes(upstream, encoder.encode("0b77CANARY")));
      assert.ok(containsBytes(upstream, encoder.encode("pw-CANARY-91")));
      assert.ok(containsBytes(downstream, encoder.encode(REPLY)));
    } finally {
      auth.close();
    }
  });
});
