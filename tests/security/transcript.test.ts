// The deterministic CurveZMQ transcript of digest §7, reproduced byte for byte by two sessions
// with fixed transient keys, cookie key and long nonces, on libsodium (libsodium-wrappers).
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { concatBytes, fromHex, toHex, utf8 } from "../../core/bytes.ts";
import type { CurveCrypto } from "../../zmtp/curve_crypto.ts";
import { CurveMechanism } from "../../zmtp/curve_mechanism.ts";
import { loadSodiumCrypto } from "../../zmtp/curve_sodium.ts";
import { Metadata } from "../../zmtp/metadata.ts";
import { assertFailed, assertOpen, outputHex, type Side, side } from "../fixtures/sessions.ts";

const CLIENT_PUBLIC = fromHex("bb88471d65e2659b30c55a5321cebb5aab2b70a398645c26dca2b2fcb43fc518");
const CLIENT_SECRET = fromHex("7bb864b489afa3671fbe69101f94b38972f24816dfb01b51656b3fec8dfd0888");
const SERVER_PUBLIC = fromHex("54fcba24e93249969316fb617c872bb0c1d1ff14800427c594cbfacf1bc2d652");
const SERVER_SECRET = fromHex("8e0bdd697628b91d8f245587ee95c5b04d48963f79259877b49cd9063aead3b7");

const fill = (byte: number, length: number): Uint8Array => new Uint8Array(length).fill(byte);

/** Digest §7, each frame with its ZMTP header, as one hex string. */
const HELLO = "04c80548454c4c4f010000000000000000000000000000000000000000000000" +
  "0000000000000000000000000000000000000000000000000000000000000000" +
  "000000000000000000000000000000000000a4e09292b651c278b9772c569f5f" +
  "a9bb13d906b46ab68c9df9dc2b4409f8a20900000000000000018373e6339d16" +
  "71fc8c8e1bd8896fa8eb3caa99ee23ab921111a41f4bdd6ec09729dd00c5951d" +
  "9619a1586b75e93f5b2180c86e7866a061a6ec676f7819da3d9c68b56b80edc3" +
  "6981cab1b7ef50882957";
const WELCOME = "04a80757454c434f4d4504040404040404040404040404040404a0d20c1318a3" +
  "5107a283304574a819cc4e86305c7e98fdaa9c68a93cc97d70f882979500eee5" +
  "44d60c075024129544c52680f530ff37c86c4a2375f2ef0b5561a87889910d9b" +
  "db50d54b57d42d09405d50921bafcc3cc7c77faef9ce24733e873786075a58fe" +
  "7d39fa7ac0a945d9ad4cd475b6ce6a26fabce44928d78f92937d832a580ec58c" +
  "1563c610fc15e8fba5a7";
const INITIATE = "06000000000000012408494e4954494154450505050505050505050505050505" +
  "050597e3502cba39b3aa6763168ed961a178edad2cb4a321a644617b2c29c50e" +
  "bf66ac5aee9852dba06101f1735e555ff80d529baef7ba6d9ce3a8ca22d5916f" +
  "a0db544314bfc386b5f6e4c394976867376300000000000000023d6f20f76c69" +
  "1acbcbb3708f9b6fdc945d0d6412f78edb8a330ea01a031b62ba262a7983e1b3" +
  "d89971a4c8787979010df3263a14b8e1bada606f174139e99aa3b75ff83d1899" +
  "3cb5f7ae4ac5e86f0d9dbff852b94e885189ee272c6165741b1444de431df53c" +
  "6b7e9d41e64c3598952880dbad50127d1be101d38aaff5dffa7d5221e0bc54db" +
  "c790db50959d21dd670783bf8e3e81bf46b9cb4b7b101983b59d33fe504dfa2d" +
  "6ecdc1d5679ee15c7b7bf73197";
const READY = "0441055245414459000000000000000182a251187f98b2804a02ab6d34eb1a9e" +
  "8c8523db54e3e1ea33d4794898e5721f7fec0a9e7d437eb1c0d9d2b28b3ca26a" +
  "dc718b";
const CLIENT_MESSAGE = "0026074d45535341474500000000000000035c4c430dd14146bdd13d5017df4d" +
  "49285fce9c50a189";
const SERVER_MESSAGE = "0026074d45535341474500000000000000028cc06e0bf12d5e3deda5f8199d8c" +
  "e0a42bc54433240a";

let crypto: CurveCrypto;
before(async () => {
  crypto = await loadSodiumCrypto();
});

function transcriptPair(): { client: Side; server: Side } {
  const client = side("DEALER", {
    mechanism: new CurveMechanism(
      crypto,
      {
        server: false,
        serverKey: SERVER_PUBLIC,
        publicKey: CLIENT_PUBLIC,
        secretKey: CLIENT_SECRET,
      },
      { transientSecret: fill(1, 32), vouchNonce: fill(6, 16) },
    ),
  });
  const server = side("ROUTER", {
    mechanism: new CurveMechanism(crypto, { server: true, secretKey: SERVER_SECRET }, {
      transientSecret: fill(2, 32),
      cookieKey: fill(3, 32),
      welcomeNonce: fill(4, 16),
      cookieNonce: fill(5, 16),
    }),
  });
  return { client, server };
}

const accept = {
  statusCode: "200",
  statusText: "OK",
  userId: "",
  metadata: new Metadata(),
} as const;

/** Exchanges greetings: each side's next output is its first handshake command. */
function greet(client: Side, server: Side): void {
  client.session.start(0);
  server.session.start(0);
  const clientGreeting = concatBytes(client.session.takeOutput());
  const serverGreeting = concatBytes(server.session.takeOutput());
  assert.equal(toHex(clientGreeting.subarray(12, 17)), toHex(utf8("CURVE")));
  assert.equal(toHex(serverGreeting.subarray(12, 17)), toHex(utf8("CURVE")));
  client.session.receive(serverGreeting, 0);
  server.session.receive(clientGreeting, 0);
}

/** The transcript pair, through the handshake: the next client MESSAGE is the digest's. */
function handshaken(): { client: Side; server: Side } {
  const { client, server } = transcriptPair();
  greet(client, server);
  server.session.receive(fromHex(outputHex(client)), 0);
  client.session.receive(fromHex(outputHex(server)), 0);
  server.session.receive(fromHex(outputHex(client)), 0);
  server.session.takeAuthRequest();
  server.session.authenticated(accept);
  client.session.receive(fromHex(outputHex(server)), 0);
  assertOpen(client, "client");
  return { client, server };
}

describe("CurveZMQ transcript (digest §7)", () => {
  test("the primitives agree with the digest: transient public keys and beforenm", () => {
    assert.equal(toHex(crypto.publicKey(CLIENT_SECRET)), toHex(CLIENT_PUBLIC));
    assert.equal(toHex(crypto.publicKey(SERVER_SECRET)), toHex(SERVER_PUBLIC));
    assert.equal(
      toHex(crypto.publicKey(fill(1, 32))),
      "a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209",
    );
    assert.equal(
      toHex(crypto.publicKey(fill(2, 32))),
      "ce8d3ad1ccb633ec7b70c17814a5c76ecd029685050d344745ba05870e587d59",
    );
    assert.equal(
      toHex(crypto.sharedKey(SERVER_PUBLIC, fill(1, 32))),
      "516d0fc7a18a927baa1f90e4843ccdc5a63472fa134ea19a96c2038e40cef1b1",
    );
    assert.equal(
      toHex(crypto.sharedKey(crypto.publicKey(fill(2, 32)), fill(1, 32))),
      "18a99320f3488fa18a04239715d8ee738065e65c3d4b2898522d6c3d4ead588c",
    );
  });

  test("HELLO, WELCOME, INITIATE, READY and both MESSAGEs, byte for byte", () => {
    const { client, server } = transcriptPair();
    greet(client, server);
    assert.equal(outputHex(server), "", "the server speaks only after HELLO");

    const hello = outputHex(client);
    assert.equal(hello, HELLO);
    server.session.receive(fromHex(hello), 0);
    const welcome = outputHex(server);
    assert.equal(welcome, WELCOME);
    client.session.receive(fromHex(welcome), 0);
    const initiate = outputHex(client);
    assert.equal(initiate, INITIATE);

    server.session.receive(fromHex(initiate), 0);
    assert.equal(outputHex(server), "", "READY waits for the authenticator");
    assert.deepEqual(server.session.takeAuthRequest()?.map(toHex), [toHex(CLIENT_PUBLIC)]);
    server.session.authenticated(accept);
    const ready = outputHex(server);
    assert.equal(ready, READY);
    assert.equal(server.done.length, 1);
    assert.equal(server.done[0].peer.getText("Socket-Type"), "DEALER");
    assert.equal(server.done[0].peer.getText("Identity"), "");

    client.session.receive(fromHex(ready), 0);
    assert.equal(client.done.length, 1);
    assert.equal(client.done[0].peer.getText("Socket-Type"), "ROUTER");
    assertOpen(client, "client");
    assertOpen(server, "server");

    client.session.send([utf8("Hello")]);
    const hello2 = outputHex(client);
    assert.equal(hello2, CLIENT_MESSAGE);
    server.session.send([utf8("World")]);
    const world = outputHex(server);
    assert.equal(world, SERVER_MESSAGE);
    server.session.receive(fromHex(hello2), 0);
    client.session.receive(fromHex(world), 0);
    assert.deepEqual(server.messages, [[toHex(utf8("Hello"))]]);
    assert.deepEqual(client.messages, [[toHex(utf8("World"))]]);
  });

  test("the server opens the digest's HELLO and the client the digest's WELCOME and READY", () => {
    // Each side fed the reference bytes, not its partner's, so neither side's bugs can cancel
    // the other's out.
    const { client, server } = transcriptPair();
    greet(client, server);
    client.session.takeOutput();
    server.session.receive(fromHex(HELLO), 0);
    assert.equal(outputHex(server), WELCOME);
    client.session.receive(fromHex(WELCOME), 0);
    assert.equal(outputHex(client), INITIATE);
    server.session.receive(fromHex(INITIATE), 0);
    server.session.takeAuthRequest();
    server.session.authenticated(accept);
    assert.equal(outputHex(server), READY);
    client.session.receive(fromHex(READY), 0);
    client.session.receive(fromHex(SERVER_MESSAGE), 0);
    server.session.receive(fromHex(CLIENT_MESSAGE), 0);
    assert.deepEqual(client.messages, [[toHex(utf8("World"))]]);
    assert.deepEqual(server.messages, [[toHex(utf8("Hello"))]]);
  });

  test("a replayed transcript MESSAGE is refused: nonces must strictly increase", () => {
    const { server } = handshaken();
    server.session.receive(fromHex(CLIENT_MESSAGE), 0);
    assertOpen(server, "server");
    server.session.receive(fromHex(CLIENT_MESSAGE), 0);
    assertFailed(server, "protocol", /nonce 3 is not above the last one, 3/);
    assert.deepEqual(server.messages, [[toHex(utf8("Hello"))]]);
  });

  test("a flipped byte in a transcript MESSAGE fails authentication", () => {
    const { server } = handshaken();
    const tampered = fromHex(CLIENT_MESSAGE);
    tampered[tampered.length - 1] ^= 0x01;
    server.session.receive(tampered, 0);
    assertFailed(server, "protocol", /failed to authenticate/);
    assert.deepEqual(server.messages, []);
  });

  test("HELLO sealed for another server key does not open (protocol failure, no WELCOME)", () => {
    const { server } = transcriptPair();
    const stranger = side("DEALER", {
      mechanism: new CurveMechanism(crypto, {
        server: false,
        serverKey: CLIENT_PUBLIC, // not the server's key
        publicKey: CLIENT_PUBLIC,
        secretKey: CLIENT_SECRET,
      }),
    });
    greet(stranger, server);
    server.session.receive(concatBytes(stranger.session.takeOutput()), 0);
    assertFailed(server, "protocol", /does not open/);
    assert.equal(outputHex(server), "", "no WELCOME, no ERROR: libzmq closes silently");
  });
});
