// Session, the sans-I/O connection state machine: two Sessions wired back to back in memory with a
// fake clock (every "now" is an explicit number), plus a scripted peer written as raw bytes where
// exact bytes matter. No timers, no sleeps: time only moves when a test says so.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ascii, concatBytes, EMPTY, fromHex, toHex } from "../../core/bytes.ts";
import { commandBody, errorCommand, pingCommand } from "../../zmtp/commands.ts";
import { COMMAND, MORE } from "../../zmtp/frame.ts";
import { encodeGreeting } from "../../zmtp/greeting.ts";
import type { SessionOptions } from "../../zmtp/session.ts";
import type { SocketTypeName } from "../../zmtp/socket_type.ts";
import {
  assertFailed,
  assertOpen,
  connected,
  frames,
  greetingBytes,
  outputHex,
  pump,
  readyCommand,
  type Side,
  side,
} from "../fixtures/sessions.ts";

/** One session, handshaken at `now` with a scripted peer announcing `peerType`. */
function handshaken(
  socketType: SocketTypeName,
  peerType: string,
  options: Partial<SessionOptions> = {},
  now = 0,
): Side {
  const s = side(socketType, options);
  s.session.start(now);
  s.session.receive(concatBytes([greetingBytes(), readyCommand([["Socket-Type", peerType]])]), now);
  assert.equal(s.session.ready, true, `handshake failed: ${s.session.error?.message}`);
  s.session.takeOutput();
  return s;
}

const PONG_EMPTY = "04050450" + "4f4e47";

describe("Session handshake", () => {
  test("DEALER with identity meets ROUTER: both report the peer's metadata and greeting", () => {
    const dealer = side("DEALER", { routingId: ascii("A1") });
    const router = side("ROUTER");
    connected(dealer, router);
    assert.equal(dealer.session.ready, true);
    assert.equal(router.session.ready, true);
    assert.equal(dealer.done.length, 1);
    assert.equal(router.done.length, 1);
    assert.equal(router.done[0].peer.getText("Socket-Type"), "DEALER");
    assert.equal(router.done[0].peer.getText("Identity"), "A1");
    assert.equal(dealer.done[0].peer.getText("Socket-Type"), "ROUTER");
    assert.equal(toHex(dealer.done[0].peer.get("Identity")!), "");
    assert.deepEqual(dealer.done[0].greeting, {
      major: 3,
      minor: 1,
      mechanism: "NULL",
      asServer: false,
    });
    assert.equal(dealer.session.peerMinorVersion, 1);
    assert.equal(dealer.session.error, undefined);
    assert.equal(dealer.session.failure, undefined);
    // The handshake timer is gone once the handshake is done, and no heartbeats are configured.
    assert.equal(dealer.session.nextDeadline(), Infinity);
  });

  test("the handshake completes with every chunk cut to 1 byte", () => {
    const req = side("REQ", { routingId: ascii("client-7") });
    const rep = side("REP");
    connected(req, rep, 0, 1);
    assert.equal(req.session.ready, true);
    assert.equal(rep.session.ready, true);
    assert.equal(rep.done[0].peer.getText("Identity"), "client-7");
    assert.equal(req.done[0].peer.get("Identity"), undefined, "REP sends no Identity");
  });

  test("greeting, READY and a first message all in one chunk", () => {
    const s = side("PULL");
    s.session.start(0);
    s.session.receive(
      concatBytes([
        greetingBytes(),
        readyCommand([["Socket-Type", "PUSH"]]),
        frames([0, ascii("hi")]),
      ]),
      0,
    );
    assert.equal(s.session.ready, true);
    assert.deepEqual(s.messages, [["6869"]]);
  });

  test("every compatible pair of socket types completes the handshake", () => {
    const pairs: [SocketTypeName, SocketTypeName][] = [
      ["REQ", "REP"],
      ["REQ", "ROUTER"],
      ["REP", "DEALER"],
      ["DEALER", "DEALER"],
      ["ROUTER", "ROUTER"],
      ["PUB", "SUB"],
      ["PUB", "XSUB"],
      ["XPUB", "SUB"],
      ["XPUB", "XSUB"],
      ["PUSH", "PULL"],
      ["PAIR", "PAIR"],
    ];
    for (const [x, y] of pairs) {
      const a = side(x);
      const b = side(y);
      connected(a, b);
      assert.ok(
        a.session.ready && b.session.ready,
        `${x} <-> ${y}: ${a.session.error ?? b.session.error}`,
      );
    }
  });

  test('PUSH vs SUB: both sides close with failure "protocol", naming both types', () => {
    const push = side("PUSH");
    const sub = side("SUB");
    connected(push, sub);
    assertFailed(push, "protocol", /"SUB".*PUSH/);
    assertFailed(sub, "protocol", /"PUSH".*SUB/);
    assert.equal(push.session.error?.code, "EPROTO");
    assert.deepEqual(push.done, []);
    assert.deepEqual(sub.done, []);
    assert.equal(push.session.nextDeadline(), Infinity);
  });

  test("more incompatible pairs are refused", () => {
    const pairs: [SocketTypeName, string][] = [
      ["REQ", "REQ"],
      ["REQ", "DEALER"],
      ["PUB", "PUB"],
      ["PAIR", "DEALER"],
      ["PULL", "PULL"],
      ["DEALER", "PUB"],
      ["SUB", "SUB"],
      ["ROUTER", "REP"],
      ["STREAM", "STREAM"],
    ];
    for (const [ours, theirs] of pairs) {
      const s = side(ours);
      s.session.start(0);
      s.session.receive(concatBytes([greetingBytes(), readyCommand([["Socket-Type", theirs]])]), 0);
      assertFailed(s, "protocol");
      assert.ok(s.session.error?.message.includes(theirs), `${ours} <- ${theirs}`);
    }
  });

  test("an unknown or lower-case Socket-Type value is refused (compared exactly, as libzmq)", () => {
    for (const value of ["dealer", "BOGUS", ""]) {
      const s = side("ROUTER");
      s.session.start(0);
      s.session.receive(concatBytes([greetingBytes(), readyCommand([["Socket-Type", value]])]), 0);
      assertFailed(s, "protocol");
    }
  });

  test("a READY without Socket-Type is accepted", () => {
    const s = side("DEALER");
    s.session.start(0);
    s.session.receive(concatBytes([greetingBytes(), readyCommand([])]), 0);
    assert.equal(s.session.ready, true);
    assert.equal(s.done.length, 1);
    assert.equal(s.done[0].peer.get("Socket-Type"), undefined);
    assert.deepEqual([...s.done[0].peer.entries()], []);
  });

  test("extra and X- properties are kept in the peer's metadata", () => {
    const s = side("DEALER");
    s.session.start(0);
    s.session.receive(
      concatBytes([
        greetingBytes(),
        readyCommand([["Socket-Type", "ROUTER"], ["Identity", "r"], ["X-Color", "blue"]]),
      ]),
      0,
    );
    assert.equal(s.session.ready, true);
    assert.equal(s.done[0].peer.getText("x-color"), "blue");
  });

  test("a malformed READY (truncated metadata) is a protocol failure", () => {
    const s = side("DEALER");
    s.session.start(0);
    // "Socket-Type" claims 6 value bytes, 3 follow.
    const body = commandBody("READY", fromHex("0b 536f636b65742d54797065 00000006 524f55"));
    s.session.receive(concatBytes([greetingBytes(), frames([COMMAND, body])]), 0);
    assertFailed(s, "protocol");
  });

  test("a peer greeting that is ZMTP 1.0 closes the session on its first byte", () => {
    const s = side("DEALER");
    s.session.start(0);
    s.session.receive(new Uint8Array([0x01]), 0);
    assertFailed(s, "protocol", /ZMTP 1\.0/);
  });

  test("a peer greeting with another mechanism is a protocol failure", () => {
    const s = side("DEALER");
    s.session.start(0);
    const bytes = encodeGreeting({ mechanism: "PLAIN", asServer: true, routingIdLength: 0 });
    s.session.receive(bytes, 0);
    assertFailed(s, "protocol", /PLAIN/);
  });

  test("a message before the handshake is done is a protocol failure", () => {
    const s = side("DEALER");
    s.session.start(0);
    s.session.receive(concatBytes([greetingBytes(), frames([0, ascii("early")])]), 0);
    assertFailed(s, "protocol", /before completing the handshake/);
    assert.deepEqual(s.messages, []);
    assert.deepEqual(s.done, []);
  });

  test("a command other than READY/ERROR during the NULL handshake is a protocol failure", () => {
    const s = side("DEALER");
    s.session.start(0);
    s.session.receive(concatBytes([greetingBytes(), frames([COMMAND, pingCommand(0)])]), 0);
    assertFailed(s, "protocol", /PING/);
  });

  test('handshake timeout: open at start + 999, closed with "timeout" at start + 1000', () => {
    const s = side("DEALER", { handshakeInterval: 1000 });
    s.session.start(5000);
    assert.equal(s.session.nextDeadline(), 6000);
    s.session.tick(5500);
    assertOpen(s);
    s.session.tick(5999);
    assertOpen(s);
    assert.equal(s.session.nextDeadline(), 6000);
    s.session.tick(6000);
    assertFailed(s, "timeout", /1000 ms/);
    assert.equal(s.session.error?.code, "ETIMEDOUT");
    assert.equal(s.session.nextDeadline(), Infinity);
  });

  test("handshake timeout counts the greeting too: a partial greeting does not extend it", () => {
    const s = side("DEALER", { handshakeInterval: 1000 });
    s.session.start(0);
    s.session.receive(greetingBytes().subarray(0, 10), 500);
    s.session.receive(greetingBytes().subarray(10), 900);
    assert.equal(s.session.nextDeadline(), 1000);
    s.session.tick(1000);
    assertFailed(s, "timeout");
  });

  test("a completed handshake disarms the handshake timer; handshakeInterval 0 disables it", () => {
    const a = side("DEALER", { handshakeInterval: 1000 });
    const b = side("ROUTER", { handshakeInterval: 1000 });
    connected(a, b, 0);
    a.session.tick(1000);
    a.session.tick(1_000_000);
    assertOpen(a);
    const c = side("DEALER", { handshakeInterval: 0 });
    c.session.start(0);
    assert.equal(c.session.nextDeadline(), Infinity);
    c.session.tick(10_000_000);
    assertOpen(c);
  });
});

describe("Session traffic", () => {
  test("messages of 1 to 3 frames flow both ways, in order", () => {
    const dealer = side("DEALER");
    const router = side("ROUTER");
    connected(dealer, router);
    dealer.session.send([ascii("one")]);
    dealer.session.send([ascii("a"), EMPTY, ascii("c")]);
    router.session.send([ascii("x"), ascii("y")]);
    router.session.send([EMPTY]);
    pump(dealer, router, 1);
    assert.deepEqual(router.messages, [["6f6e65"], ["61", "", "63"]]);
    assert.deepEqual(dealer.messages, [["78", "79"], [""]]);
  });

  test("large and many messages cross intact, delivered in 1-byte and odd-sized chunks", () => {
    for (const chunkSize of [1, 7, 4096, Infinity]) {
      const push = side("PUSH");
      const pull = side("PULL");
      connected(push, pull, 0, chunkSize);
      const big = new Uint8Array(chunkSize === 1 ? 3000 : 70_000).map((_, i) => (i * 31) & 0xff);
      const expected: string[][] = [];
      for (let i = 0; i < 20; i++) {
        const message = i % 5 === 0 ? [ascii(`m${i}`), big] : [ascii(`m${i}`)];
        push.session.send(message);
        expected.push(message.map((frame) => toHex(frame)));
      }
      pump(push, pull, 1, chunkSize);
      assert.deepEqual(pull.messages, expected, `chunk size ${chunkSize}`);
    }
  });

  test("a command between the frames of a message does not join the message", () => {
    const s = handshaken("DEALER", "ROUTER");
    s.session.receive(
      frames([MORE, ascii("a")], [COMMAND, commandBody("PONG")], [0, ascii("b")]),
      1,
    );
    assert.deepEqual(s.messages, [["61", "62"]]);
    assertOpen(s);
  });

  test("a command with MORE set is consumed alone, as libzmq does: the PING is answered and joins nothing", () => {
    const s = handshaken("DEALER", "ROUTER");
    s.session.takeOutput();
    s.session.receive(
      frames([COMMAND | MORE, commandBody("PING", new Uint8Array([0, 0]))], [0, ascii("b")]),
      1,
    );
    assert.deepEqual(s.messages, [["62"]]);
    assert.equal(outputHex(s), PONG_EMPTY);
    assertOpen(s);
  });

  test("SUBSCRIBE and CANCEL commands reach the handler", () => {
    const pub = side("PUB");
    const sub = side("SUB");
    connected(pub, sub);
    sub.session.sendSubscription(true, ascii("news"));
    sub.session.sendSubscription(true, EMPTY);
    sub.session.sendSubscription(false, ascii("news"));
    pump(pub, sub, 1);
    assert.deepEqual(pub.subscriptions, [[true, "news"], [true, ""], [false, "news"]]);
    assert.deepEqual(pub.messages, []);
  });

  test("a 3.0 peer (minor 0) gets subscriptions as `01 topic` / `00 topic` messages", () => {
    const s = side("SUB");
    s.session.start(0);
    s.session.receive(
      concatBytes([greetingBytes(3, 0), readyCommand([["Socket-Type", "PUB"]])]),
      0,
    );
    assert.equal(s.session.ready, true);
    assert.equal(s.session.peerMinorVersion, 0);
    s.session.takeOutput();
    s.session.sendSubscription(true, ascii("topic"));
    assert.equal(outputHex(s), "000601" + toHex(ascii("topic")));
    s.session.sendSubscription(false, ascii("AB"));
    assert.equal(outputHex(s), "0003004142");
  });

  test("a 3.1 peer and a 4.0 peer get SUBSCRIBE commands", () => {
    for (const [major, minor, reported] of [[3, 1, 1], [4, 0, 1], [3, 7, 7]]) {
      const s = side("XSUB");
      s.session.start(0);
      s.session.receive(
        concatBytes([greetingBytes(major, minor), readyCommand([["Socket-Type", "XPUB"]])]),
        0,
      );
      assert.equal(s.session.peerMinorVersion, reported, `${major}.${minor}`);
      s.session.takeOutput();
      s.session.sendSubscription(true, ascii("AB"));
      assert.equal(
        outputHex(s),
        "040c09" + toHex(ascii("SUBSCRIBE")) + "4142",
        `${major}.${minor}`,
      );
    }
  });

  test("PING is answered with a PONG echoing its context", () => {
    const s = handshaken("DEALER", "ROUTER");
    s.session.receive(frames([COMMAND, pingCommand(0, ascii("ctx1"))]), 1);
    assert.equal(outputHex(s), "04090450" + "4f4e47" + "63747831");
    s.session.receive(frames([COMMAND, pingCommand(0)]), 2);
    assert.equal(outputHex(s), PONG_EMPTY);
    assertOpen(s);
    assert.deepEqual(s.messages, []);
  });

  test("a PING context longer than 16 bytes is echoed truncated to 16", () => {
    const s = handshaken("DEALER", "ROUTER");
    const context = ascii("0123456789abcdefXYZW"); // 20 bytes
    const data = concatBytes([new Uint8Array([0, 0]), context]);
    s.session.receive(frames([COMMAND, commandBody("PING", data)]), 1);
    assert.equal(outputHex(s), "04150450" + "4f4e47" + toHex(ascii("0123456789abcdef")));
  });

  test("a PONG and unknown commands after the handshake are ignored", () => {
    const s = handshaken("DEALER", "ROUTER");
    s.session.receive(
      frames(
        [COMMAND, commandBody("PONG", ascii("x"))],
        [COMMAND, commandBody("XYZZY", ascii("data"))],
        [COMMAND, commandBody("JOIN", ascii("g"))],
        [0, ascii("after")],
      ),
      1,
    );
    assertOpen(s);
    assert.equal(outputHex(s), "");
    assert.deepEqual(s.messages, [[toHex(ascii("after"))]]);
  });

  test("a READY after the handshake is a protocol failure", () => {
    const s = handshaken("DEALER", "ROUTER");
    s.session.receive(readyCommand([["Socket-Type", "ROUTER"]]), 1);
    assertFailed(s, "protocol", /READY/);
  });

  test("a malformed command (empty or truncated name) is a protocol failure", () => {
    for (const body of [EMPTY, new Uint8Array([0]), new Uint8Array([5, 0x50, 0x49])]) {
      const s = handshaken("DEALER", "ROUTER");
      s.session.receive(frames([COMMAND, body]), 1);
      assertFailed(s, "protocol");
    }
  });

  test('ERROR "400" (and 300, 500) is an "auth" failure; ERROR "x" is "protocol"', () => {
    for (
      const [reason, failure, code] of [
        ["400", "auth", "EACCES"],
        ["300", "auth", "EACCES"],
        ["500", "auth", "EACCES"],
        ["x", "protocol", "EPROTO"],
        ["4000", "protocol", "EPROTO"],
        ["", "protocol", "EPROTO"],
      ]
    ) {
      // During the handshake (after the greeting, instead of READY) ...
      const early = side("DEALER");
      early.session.start(0);
      early.session.receive(
        concatBytes([greetingBytes(), frames([COMMAND, errorCommand(reason)])]),
        0,
      );
      assertFailed(early, failure);
      assert.equal(early.session.error?.code, code, `handshake, ERROR ${reason}`);
      assert.ok(early.session.error?.message.includes(JSON.stringify(reason)));
      // ... and after it.
      const late = handshaken("DEALER", "ROUTER");
      late.session.receive(frames([COMMAND, errorCommand(reason)]), 1);
      assertFailed(late, failure);
      assert.equal(late.session.error?.code, code, `traffic, ERROR ${reason}`);
    }
  });

  test('abort sends ERROR to the peer, which fails with "protocol"; the aborting side too', () => {
    const a = side("DEALER");
    const b = side("ROUTER");
    connected(a, b);
    a.session.abort("go away");
    assertFailed(a, "protocol", /go away/);
    pump(a, b, 1);
    assertFailed(b, "protocol", /"go away"/);
  });

  test("a frame over maxMessageSize fails the session from its header", () => {
    const s = handshaken("PULL", "PUSH", { maxMessageSize: 100 });
    s.session.receive(frames([0, new Uint8Array(100)]), 1);
    assert.equal(s.messages.length, 1);
    s.session.receive(new Uint8Array([0x00, 101]), 1);
    assertFailed(s, "protocol");
    assert.equal(s.session.error?.code, "EMSGSIZE");
  });

  test("messages after a failure are not delivered; a closed session ignores input", () => {
    const s = handshaken("PULL", "PUSH");
    s.session.receive(frames([0, ascii("1")], [COMMAND, commandBody("READY")], [0, ascii("2")]), 1);
    assertFailed(s, "protocol");
    assert.deepEqual(s.messages, [["31"]]);
    s.session.receive(frames([0, ascii("3")]), 2);
    s.session.tick(1_000_000);
    assert.deepEqual(s.messages, [["31"]]);
    assert.equal(s.session.failure, "protocol");
  });
});

describe("Session heartbeats (our PINGs)", () => {
  /** A DEALER with heartbeats and a plain ROUTER, handshaken at t = 1000. */
  function heartbeating(options: Partial<SessionOptions>): { a: Side; b: Side } {
    const a = side("DEALER", { heartbeatInterval: 100, ...options });
    const b = side("ROUTER");
    connected(a, b, 1000);
    assert.equal(a.session.ready, true);
    return { a, b };
  }

  test("the first PING goes out at handshake + interval, its TTL = heartbeatTimeToLive / 100", () => {
    const { a } = heartbeating({ heartbeatTimeToLive: 1299 });
    assert.equal(a.session.nextDeadline(), 1100);
    a.session.tick(1099);
    assert.equal(outputHex(a), "");
    a.session.tick(1100);
    assert.equal(outputHex(a), "0407" + "04" + toHex(ascii("PING")) + "000c");
  });

  test("TTL 5000 ms is sent as 50 ds; TTL 0 as 0; a huge TTL is clamped to 0xffff", () => {
    for (
      const [ttl, bytes] of [[5000, "0032"], [0, "0000"], [99, "0000"], [
        10_000_000,
        "ffff",
      ]] as const
    ) {
      const { a } = heartbeating({ heartbeatTimeToLive: ttl });
      a.session.tick(1100);
      assert.equal(outputHex(a), "040704" + toHex(ascii("PING")) + bytes, `TTL ${ttl}`);
    }
  });

  test("PINGs repeat every interval while traffic flows, and the peer answers each", () => {
    const { a, b } = heartbeating({ heartbeatTimeout: 50 });
    for (let t = 1100; t <= 1500; t += 100) {
      a.session.tick(t);
      assert.equal(outputHex(a).slice(0, 12), "040704" + toHex(ascii("PIN")), `PING at ${t}`);
      // The peer's PONG arrives 10 ms later.
      b.session.receive(frames([COMMAND, pingCommand(0)]), t + 10);
      a.session.receive(concatBytes(b.session.takeOutput()), t + 10);
      a.session.tick(t + 50);
      assertOpen(a, `at ${t + 50}`);
      assert.equal(a.session.nextDeadline(), t + 100);
    }
  });

  test("no inbound traffic: closed at PING time + heartbeatTimeout", () => {
    const { a } = heartbeating({ heartbeatTimeout: 30 });
    a.session.tick(1100);
    assert.equal(a.session.nextDeadline(), 1130);
    a.session.tick(1129);
    assertOpen(a);
    a.session.tick(1130);
    assertFailed(a, "timeout", /30 ms/);
    assert.equal(a.session.error?.code, "ETIMEDOUT");
    assert.equal(a.session.nextDeadline(), Infinity);
  });

  test("no inbound traffic, heartbeatTimeout -1: closed at PING time + interval", () => {
    const { a } = heartbeating({ heartbeatTimeout: -1 });
    a.session.tick(1100);
    assert.equal(a.session.nextDeadline(), 1200);
    a.session.tick(1199);
    assertOpen(a);
    a.session.tick(1200);
    assertFailed(a, "timeout", /100 ms/);
  });

  test("a timeout longer than the interval keeps the first PING's deadline", () => {
    const { a } = heartbeating({ heartbeatTimeout: 250 });
    a.session.tick(1100);
    a.session.tick(1200);
    assert.ok(outputHex(a).length > 0);
    a.session.tick(1300);
    assert.equal(a.session.nextDeadline(), 1350);
    a.session.tick(1349);
    assertOpen(a);
    a.session.tick(1350);
    assertFailed(a, "timeout");
  });

  test("inbound traffic (a PONG) before the deadline cancels the timeout", () => {
    const { a, b } = heartbeating({ heartbeatTimeout: 30 });
    a.session.tick(1100);
    pump(a, b, 1110); // PING to b, PONG back, at t = 1110
    a.session.tick(1130);
    assertOpen(a);
    assert.equal(a.session.nextDeadline(), 1200);
    // The next PING re-arms it.
    a.session.tick(1200);
    assert.equal(a.session.nextDeadline(), 1230);
    a.session.tick(1230);
    assertFailed(a, "timeout");
  });

  test("inbound traffic (a message) before the deadline cancels the timeout", () => {
    const { a, b } = heartbeating({ heartbeatTimeout: -1 });
    a.session.tick(1100);
    a.session.takeOutput(); // the PING is lost: b never answers it
    b.session.send([ascii("still here")]);
    pump(a, b, 1199);
    a.session.tick(1200);
    assertOpen(a);
    assert.equal(a.messages.length, 1);
  });

  // With a millisecond clock a PONG from a peer on the same host arrives at the same `now` as
  // our PING: it still proves the peer alive (libzmq cancels the timeout on any frame).
  test("a PONG received in the same millisecond as our PING cancels the timeout", () => {
    const { a, b } = heartbeating({ heartbeatTimeout: -1 });
    a.session.tick(1100);
    pump(a, b, 1100); // PING out and PONG back, all at t = 1100
    a.session.tick(1200);
    assertOpen(a, "after a PONG to our PING:");
    assert.equal(outputHex(a), "040704" + toHex(ascii("PING")) + "0000");
  });
});

describe("Session heartbeats (the peer's PING time-to-live)", () => {
  const PING_TTL_5 = frames([COMMAND, pingCommand(5)]);

  test("a peer PING with TTL 5 then silence: PONG at once, closed at +500 ms", () => {
    const s = handshaken("DEALER", "ROUTER", {}, 1000);
    assert.equal(s.session.nextDeadline(), Infinity);
    s.session.receive(PING_TTL_5, 1050);
    assert.equal(outputHex(s), PONG_EMPTY);
    assert.equal(s.session.nextDeadline(), 1550);
    s.session.tick(1549);
    assertOpen(s);
    s.session.tick(1550);
    assertFailed(s, "timeout", /500 ms/);
    assert.equal(s.session.error?.code, "ETIMEDOUT");
  });

  test("traffic after the PING keeps us open; the next PING re-arms the TTL", () => {
    const s = handshaken("DEALER", "ROUTER", {}, 1000);
    s.session.receive(PING_TTL_5, 1050);
    s.session.receive(frames([0, ascii("m")]), 1300);
    s.session.tick(1550);
    assertOpen(s);
    assert.equal(s.session.nextDeadline(), Infinity);
    s.session.tick(5000);
    assertOpen(s);
    s.session.receive(PING_TTL_5, 6000);
    assert.equal(s.session.nextDeadline(), 6500);
    s.session.tick(6500);
    assertFailed(s, "timeout");
  });

  test("a PING with TTL 0 arms nothing", () => {
    const s = handshaken("DEALER", "ROUTER", {}, 1000);
    s.session.receive(frames([COMMAND, pingCommand(0)]), 1050);
    assert.equal(s.session.nextDeadline(), Infinity);
    s.session.tick(1_000_000);
    assertOpen(s);
  });

  test("our PING schedule and the peer's TTL combine in nextDeadline", () => {
    const s = handshaken("DEALER", "ROUTER", { heartbeatInterval: 1000, heartbeatTimeout: 300 }, 0);
    assert.equal(s.session.nextDeadline(), 1000);
    s.session.receive(PING_TTL_5, 100);
    assert.equal(s.session.nextDeadline(), 600);
    s.session.receive(frames([0, ascii("m")]), 200);
    s.session.tick(600);
    assertOpen(s);
    assert.equal(s.session.nextDeadline(), 1000);
    s.session.tick(1000);
    assert.equal(s.session.nextDeadline(), 1300);
  });

  // A frame after the peer's PING in the same chunk cancels its TTL, as in libzmq.
  test("a message right after the PING, in the same chunk, cancels the TTL", () => {
    const s = handshaken("DEALER", "ROUTER", {}, 1000);
    s.session.receive(concatBytes([PING_TTL_5, frames([0, ascii("m")])]), 1050);
    assert.deepEqual(s.messages, [["6d"]]);
    s.session.tick(1550);
    assertOpen(s, "after a message that followed the PING:");
  });
});
