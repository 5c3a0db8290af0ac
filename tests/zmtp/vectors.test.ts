// Byte-exact wire vectors from the ZMTP digest (§1 and §7), all observed from libzmq 4.3.x.
// Each one is built twice where possible: from the encoder functions, and by driving a real
// Session, so that what the Session actually writes is checked, not just the helpers.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ascii, concatBytes, EMPTY, fromHex, toHex } from "../../core/bytes.ts";
import {
  commandBody,
  errorCommand,
  pingCommand,
  subscriptionCommand,
  subscriptionMessage,
} from "../../zmtp/commands.ts";
import { COMMAND, FrameWriter, MORE } from "../../zmtp/frame.ts";
import { encodeGreeting } from "../../zmtp/greeting.ts";
import { NullMechanism } from "../../zmtp/null_mechanism.ts";
import { Session, type SessionHandler, type SessionOptions } from "../../zmtp/session.ts";
import type { SocketTypeName } from "../../zmtp/socket_type.ts";

/** Hex of every chunk joined, for readable assertion diffs. */
function hexOf(chunks: readonly Uint8Array[]): string {
  return toHex(concatBytes(chunks));
}

/** Normalises a digest hex dump ("04 29 05 ...") to the form `toHex` produces. */
function norm(hex: string): string {
  return toHex(fromHex(hex));
}

function frameHex(flags: number, body: Uint8Array): string {
  const writer = new FrameWriter();
  writer.frame(flags, body);
  return hexOf(writer.take());
}

const NULL_GREETING = "ff 00 00 00 00 00 00 00 01 7f 03 01 4e 55 4c 4c" + " 00".repeat(48);

const quietHandler: SessionHandler = {
  handshakeDone() {},
  message() {},
  subscription() {},
};

function newSession(
  socketType: SocketTypeName,
  routingId: Uint8Array = EMPTY,
  overrides: Partial<SessionOptions> = {},
): Session {
  return new Session(
    {
      socketType,
      routingId,
      mechanism: new NullMechanism(),
      maxMessageSize: -1,
      handshakeInterval: 0,
      heartbeatInterval: 0,
      heartbeatTimeToLive: 0,
      heartbeatTimeout: -1,
      ...overrides,
    },
    quietHandler,
  );
}

/** A libzmq-like peer greeting (NULL, 3.1 unless `minor` says otherwise). */
function peerGreeting(minor = 1): Uint8Array {
  const bytes = fromHex(NULL_GREETING);
  bytes[11] = minor;
  return bytes;
}

function readyFrame(socketType: string, identity?: Uint8Array): Uint8Array {
  const name = ascii("Socket-Type");
  const value = ascii(socketType);
  const parts: Uint8Array[] = [
    new Uint8Array([name.length]),
    name,
    new Uint8Array([0, 0, 0, value.length]),
    value,
  ];
  if (identity !== undefined) {
    const idName = ascii("Identity");
    parts.push(new Uint8Array([idName.length]), idName);
    parts.push(new Uint8Array([0, 0, 0, identity.length]), identity);
  }
  const writer = new FrameWriter();
  writer.frame(COMMAND, commandBody("READY", concatBytes(parts)));
  return concatBytes(writer.take());
}

/** The READY a Session writes once the peer's greeting is in. */
function sessionReadyHex(socketType: SocketTypeName, routingId: Uint8Array = EMPTY): string {
  const session = newSession(socketType, routingId);
  session.start(0);
  assert.equal(hexOf(session.takeOutput()).length, 128, "the greeting is 64 bytes");
  session.receive(peerGreeting(), 0);
  assert.equal(session.closed, false, String(session.error));
  return hexOf(session.takeOutput());
}

/** A Session that has completed a NULL handshake with a scripted peer of type `peerType`. */
function readySession(
  socketType: SocketTypeName,
  peerType: string,
  minor = 1,
  overrides: Partial<SessionOptions> = {},
): Session {
  const session = newSession(socketType, EMPTY, overrides);
  session.start(0);
  session.receive(concatBytes([peerGreeting(minor), readyFrame(peerType)]), 0);
  assert.equal(session.ready, true, `handshake failed: ${session.error}`);
  session.takeOutput();
  return session;
}

describe("greeting vectors", () => {
  test("our NULL greeting equals libzmq's, byte for byte", () => {
    assert.equal(
      toHex(encodeGreeting({ mechanism: "NULL", asServer: false, routingIdLength: 0 })),
      norm(NULL_GREETING),
    );
  });

  test("a Session sends exactly libzmq's NULL greeting first, whatever its socket type", () => {
    for (const type of ["DEALER", "ROUTER", "PUB", "SUB", "PUSH", "PULL", "REQ", "REP"] as const) {
      const session = newSession(type);
      session.start(0);
      assert.equal(hexOf(session.takeOutput()), norm(NULL_GREETING), type);
    }
  });

  test('with routing id "ABC" the padding is u64 4 (id length + 1)', () => {
    const expected = norm(
      "ff 00 00 00 00 00 00 00 04 7f 03 01 4e 55 4c 4c" + " 00".repeat(48),
    );
    assert.equal(
      toHex(encodeGreeting({ mechanism: "NULL", asServer: false, routingIdLength: 3 })),
      expected,
    );
    const session = newSession("DEALER", ascii("ABC"));
    session.start(0);
    assert.equal(hexOf(session.takeOutput()), expected);
  });

  test("a 255-byte routing id gives padding u64 256", () => {
    const bytes = encodeGreeting({ mechanism: "NULL", asServer: false, routingIdLength: 255 });
    assert.equal(toHex(bytes.subarray(1, 9)), "0000000000000100");
  });

  test('CURVE greeting: bytes 12-16 are "CURVE", the rest of the name field is NUL', () => {
    const client = encodeGreeting({ mechanism: "CURVE", asServer: false, routingIdLength: 0 });
    assert.equal(client.length, 64);
    assert.equal(toHex(client.subarray(12, 17)), "4355525645");
    assert.equal(toHex(client.subarray(17, 32)), "00".repeat(15));
    assert.equal(client[32], 0);
    assert.equal(toHex(client.subarray(0, 12)), "ff00000000000000017f0301");
    assert.equal(toHex(client.subarray(33)), "00".repeat(31));
    // We send the true as-server value (digest §1.2); libzmq ignores it.
    const server = encodeGreeting({ mechanism: "CURVE", asServer: true, routingIdLength: 0 });
    assert.equal(server[32], 1);
    assert.equal(toHex(server.subarray(12, 17)), "4355525645");
  });

  test("PLAIN greeting names PLAIN", () => {
    const bytes = encodeGreeting({ mechanism: "PLAIN", asServer: false, routingIdLength: 0 });
    assert.equal(toHex(bytes.subarray(12, 32)), "504c41494e" + "00".repeat(15));
  });
});

describe("NULL READY vectors (exactly as libzmq sends them)", () => {
  const DEALER = "04 29 05 52 45 41 44 59 0b 53 6f 63 6b 65 74 2d 54 79 70 65 00 00 00 06 " +
    "44 45 41 4c 45 52 08 49 64 65 6e 74 69 74 79 00 00 00 00";
  const ROUTER = "04 29 05 52 45 41 44 59 0b 53 6f 63 6b 65 74 2d 54 79 70 65 00 00 00 06 " +
    "52 4f 55 54 45 52 08 49 64 65 6e 74 69 74 79 00 00 00 00";
  const REQ_ABC = "04 29 05 52 45 41 44 59 0b 53 6f 63 6b 65 74 2d 54 79 70 65 00 00 00 03 " +
    "52 45 51 08 49 64 65 6e 74 69 74 79 00 00 00 03 41 42 43";
  const PREFIX = "05 52 45 41 44 59 0b 53 6f 63 6b 65 74 2d 54 79 70 65";
  const PUB = `04 19 ${PREFIX} 00 00 00 03 50 55 42`;
  const SUB = `04 19 ${PREFIX} 00 00 00 03 53 55 42`;
  const PUSH = `04 1a ${PREFIX} 00 00 00 04 50 55 53 48`;
  const XSUB = `04 1a ${PREFIX} 00 00 00 04 58 53 55 42`;

  const cases: [string, SocketTypeName, Uint8Array, string][] = [
    ["DEALER", "DEALER", EMPTY, DEALER],
    ["ROUTER", "ROUTER", EMPTY, ROUTER],
    ['REQ with identity "ABC"', "REQ", ascii("ABC"), REQ_ABC],
    ["PUB", "PUB", EMPTY, PUB],
    ["SUB", "SUB", EMPTY, SUB],
    ["PUSH", "PUSH", EMPTY, PUSH],
    ["XSUB", "XSUB", EMPTY, XSUB],
  ];

  for (const [label, type, routingId, expected] of cases) {
    test(`${label}: the Session's READY after the peer greeting`, () => {
      assert.equal(sessionReadyHex(type, routingId), norm(expected));
    });

    test(`${label}: FrameWriter + commandBody + the Session's localMetadata`, () => {
      const metadata = newSession(type, routingId).localMetadata;
      assert.equal(frameHex(COMMAND, commandBody("READY", metadata.encode())), norm(expected));
    });
  }

  test("PUB and SUB send Socket-Type only, even with a routing id set", () => {
    assert.equal(sessionReadyHex("PUB", ascii("ABC")), norm(PUB));
    assert.equal(sessionReadyHex("SUB", ascii("ABC")), norm(SUB));
  });

  test("no READY is sent before the peer's greeting is complete", () => {
    const session = newSession("DEALER");
    session.start(0);
    session.takeOutput();
    const greeting = peerGreeting();
    session.receive(greeting.subarray(0, 63), 0);
    assert.deepEqual(session.takeOutput(), []);
    session.receive(greeting.subarray(63), 0);
    assert.equal(hexOf(session.takeOutput()), norm(DEALER));
  });
});

describe("subscription vectors", () => {
  const SUBSCRIBE_AB = "04 0c 09 53 55 42 53 43 52 49 42 45 41 42";
  const CANCEL_AB = "04 09 06 43 41 4e 43 45 4c 41 42";

  test('SUBSCRIBE "AB" and CANCEL "AB" commands', () => {
    assert.equal(frameHex(COMMAND, subscriptionCommand(true, ascii("AB"))), norm(SUBSCRIBE_AB));
    assert.equal(frameHex(COMMAND, subscriptionCommand(false, ascii("AB"))), norm(CANCEL_AB));
  });

  test("a Session talking to a 3.1 peer sends SUBSCRIBE/CANCEL commands", () => {
    const session = readySession("SUB", "PUB");
    session.sendSubscription(true, ascii("AB"));
    assert.equal(hexOf(session.takeOutput()), norm(SUBSCRIBE_AB));
    session.sendSubscription(false, ascii("AB"));
    assert.equal(hexOf(session.takeOutput()), norm(CANCEL_AB));
  });

  test("ZMTP 3.0 subscribe/cancel messages `00 03 01 41 42` / `00 03 00 41 42`", () => {
    assert.equal(frameHex(0, subscriptionMessage(true, ascii("AB"))), "0003014142");
    assert.equal(frameHex(0, subscriptionMessage(false, ascii("AB"))), "0003004142");
    const session = readySession("SUB", "PUB", 0);
    session.sendSubscription(true, ascii("AB"));
    assert.equal(hexOf(session.takeOutput()), "0003014142");
    session.sendSubscription(false, ascii("AB"));
    assert.equal(hexOf(session.takeOutput()), "0003004142");
  });
});

describe("command vectors", () => {
  test("PING with TTL 5 s (50 ds), no context", () => {
    assert.equal(frameHex(COMMAND, pingCommand(50)), norm("04 07 04 50 49 4e 47 00 32"));
  });

  test('PING with context "ctx1" and no TTL', () => {
    assert.equal(
      frameHex(COMMAND, pingCommand(0, ascii("ctx1"))),
      norm("04 0b 04 50 49 4e 47 00 00 63 74 78 31"),
    );
  });

  test("a Session with HEARTBEAT_TTL 5000 ms sends libzmq's PING bytes", () => {
    const session = readySession("DEALER", "ROUTER", 1, {
      heartbeatInterval: 100,
      heartbeatTimeToLive: 5000,
    });
    session.tick(100);
    assert.equal(hexOf(session.takeOutput()), norm("04 07 04 50 49 4e 47 00 32"));
  });

  test('a Session answers PING "ctx1" with exactly libzmq\'s PONG', () => {
    const session = readySession("DEALER", "ROUTER");
    session.receive(fromHex("04 0b 04 50 49 4e 47 00 00 63 74 78 31"), 1);
    assert.equal(hexOf(session.takeOutput()), norm("04 09 04 50 4f 4e 47 63 74 78 31"));
  });

  test('NULL ERROR "400"', () => {
    const expected = norm("04 0a 05 45 52 52 4f 52 03 34 30 30");
    assert.equal(frameHex(COMMAND, errorCommand("400")), expected);
    const session = newSession("DEALER");
    session.start(0);
    session.receive(peerGreeting(), 0);
    session.takeOutput();
    session.abort("400");
    assert.equal(hexOf(session.takeOutput()), expected);
    assert.equal(session.closed, true);
  });
});

describe("message framing vectors", () => {
  test('REQ request "req": empty delimiter then body, `01 00 00 03 72 65 71`', () => {
    const session = readySession("REQ", "REP");
    session.send([EMPTY, ascii("req")]);
    assert.equal(hexOf(session.takeOutput()), "01000003726571");
  });

  test('DEALER ["", 300×x] uses the long form only for the 300-byte frame', () => {
    const x300 = new Uint8Array(300).fill(0x78);
    const expected = "0100" + "02000000000000012c" + "78".repeat(300);
    const session = readySession("DEALER", "ROUTER");
    session.send([EMPTY, x300]);
    assert.equal(hexOf(session.takeOutput()), expected);
    assert.equal(frameHex(0, x300), "02000000000000012c" + "78".repeat(300));
  });

  test("short form up to 255 bytes, long form from 256", () => {
    const cases: [number, string][] = [
      [0, "0000"],
      [1, "0001"],
      [254, "00fe"],
      [255, "00ff"],
      [256, "020000000000000100"],
      [257, "020000000000000101"],
      [65535, "02000000000000ffff"],
      [70000, "020000000000011170"],
    ];
    for (const [size, header] of cases) {
      const body = new Uint8Array(size).fill(0xab);
      const hex = frameHex(0, body);
      assert.equal(hex.slice(0, header.length), header, `size ${size}`);
      assert.equal(hex.length, header.length + size * 2, `size ${size}`);
      assert.equal(hex.slice(header.length), "ab".repeat(size), `size ${size}`);
    }
  });

  test("MORE and COMMAND combine with LONG: 03 and 06", () => {
    const body = new Uint8Array(256);
    assert.equal(frameHex(MORE, body).slice(0, 18), "030000000000000100");
    assert.equal(frameHex(COMMAND, body).slice(0, 18), "060000000000000100");
    assert.equal(frameHex(MORE, new Uint8Array(3)).slice(0, 4), "0103");
    assert.equal(frameHex(COMMAND, new Uint8Array(3)).slice(0, 4), "0403");
  });

  test("many frames in one batch keep their order and bytes (batch growth)", () => {
    const writer = new FrameWriter();
    const expected: string[] = [];
    for (let i = 0; i < 200; i++) {
      const size = (i * 37) % 300 + (i % 50 === 0 ? 20_000 : 0);
      const body = new Uint8Array(size).fill(i & 0xff);
      const flags = i % 3 === 0 ? MORE : 0;
      writer.frame(flags, body);
      expected.push(frameHex(flags, body));
    }
    const pending = writer.pendingBytes;
    const out = concatBytes(writer.take());
    assert.equal(out.length, pending);
    assert.equal(toHex(out), expected.join(""));
    assert.equal(writer.pendingBytes, 0);
    assert.deepEqual(writer.take(), []);
  });

  test("bodies of 16 KiB and more are handed over uncopied", () => {
    const writer = new FrameWriter();
    const big = new Uint8Array(16 * 1024).fill(7);
    writer.frame(MORE, ascii("topic"));
    writer.frame(0, big);
    const chunks = writer.take();
    assert.ok(chunks.includes(big), "the large body is one of the chunks");
    assert.equal(
      toHex(concatBytes(chunks)),
      "0105" + toHex(ascii("topic")) + "020000000000004000" + "07".repeat(16 * 1024),
    );
  });
});
