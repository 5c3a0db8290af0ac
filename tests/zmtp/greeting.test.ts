// GreetingReader: incremental parsing (byte by byte, libzmq's 10 + 1 + 53 stages, with frames
// after it), and refusal of ZMTP 1.0/2.0 peers as soon as the deciding byte arrives.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { concatBytes, fromHex } from "../../core/bytes.ts";
import { ZmqError } from "../../core/errors.ts";
import { encodeGreeting, GREETING_LENGTH, GreetingReader } from "../../zmtp/greeting.ts";

/** libzmq's NULL greeting (digest §7). */
const LIBZMQ_NULL = fromHex("ff 00 00 00 00 00 00 00 01 7f 03 01 4e 55 4c 4c" + " 00".repeat(48));

function greeting(edit: (bytes: Uint8Array) => void = () => {}): Uint8Array {
  const bytes = LIBZMQ_NULL.slice();
  edit(bytes);
  return bytes;
}

/** Feeds `bytes` one at a time; returns the index of the byte that produced an error, or -1. */
function feedByteByByte(
  reader: GreetingReader,
  bytes: Uint8Array,
): { at: number; error?: ZmqError } {
  for (let i = 0; i < bytes.length; i++) {
    // A chunk ending just after byte i, read from offset i: exactly one new byte.
    const result = reader.push(bytes.subarray(0, i + 1), i);
    if (result instanceof ZmqError) return { at: i, error: result };
    assert.equal(result, i + 1, `byte ${i}`);
    if (i < GREETING_LENGTH - 1) {
      assert.equal(reader.greeting, undefined, `complete after byte ${i}?`);
    }
  }
  return { at: -1 };
}

describe("GreetingReader: incremental parsing", () => {
  test("libzmq's NULL greeting fed byte by byte (one-byte chunks)", () => {
    const reader = new GreetingReader("NULL");
    for (let i = 0; i < 64; i++) {
      const result = reader.push(LIBZMQ_NULL.subarray(i, i + 1), 0);
      assert.equal(result, 1, `byte ${i}`);
      assert.equal(reader.greeting === undefined, i < 63, `byte ${i}`);
    }
    assert.deepEqual(reader.greeting, { major: 3, minor: 1, mechanism: "NULL", asServer: false });
  });

  test("byte by byte through the offset argument of one chunk", () => {
    const reader = new GreetingReader("NULL");
    assert.deepEqual(feedByteByByte(reader, LIBZMQ_NULL), { at: -1 });
    assert.deepEqual(reader.greeting, { major: 3, minor: 1, mechanism: "NULL", asServer: false });
  });

  test("in libzmq's 10 + 1 + 53 stages", () => {
    const reader = new GreetingReader("NULL");
    assert.equal(reader.push(LIBZMQ_NULL.slice(0, 10), 0), 10);
    assert.equal(reader.greeting, undefined);
    assert.equal(reader.push(LIBZMQ_NULL.slice(10, 11), 0), 1);
    assert.equal(reader.greeting, undefined);
    assert.equal(reader.push(LIBZMQ_NULL.slice(11), 0), 53);
    assert.deepEqual(reader.greeting, { major: 3, minor: 1, mechanism: "NULL", asServer: false });
  });

  test("whole, with the frames that follow: the returned offset is just past the greeting", () => {
    const ready = fromHex(
      "04 19 05 52 45 41 44 59 0b 53 6f 63 6b 65 74 2d 54 79 70 65 00 00 00 03 50 55 42",
    );
    const reader = new GreetingReader("NULL");
    const chunk = concatBytes([LIBZMQ_NULL, ready]);
    assert.equal(reader.push(chunk, 0), 64);
    assert.equal(reader.greeting?.mechanism, "NULL");
  });

  test("with bytes before it (offset) and frames after it", () => {
    const reader = new GreetingReader("NULL");
    const chunk = concatBytes([
      new Uint8Array([9, 9, 9, 9, 9]),
      LIBZMQ_NULL,
      new Uint8Array([0, 1, 0x41]),
    ]);
    assert.equal(reader.push(chunk, 5), 69);
    assert.equal(reader.greeting?.major, 3);
  });

  test("split in two, the second part followed by frames: the offset counts only greeting bytes", () => {
    const reader = new GreetingReader("NULL");
    assert.equal(reader.push(LIBZMQ_NULL.slice(0, 30), 0), 30);
    const rest = concatBytes([LIBZMQ_NULL.slice(30), new Uint8Array([0, 3, 1, 2, 3])]);
    assert.equal(reader.push(rest, 0), 34);
    assert.deepEqual(reader.greeting, { major: 3, minor: 1, mechanism: "NULL", asServer: false });
  });

  test("an empty chunk consumes nothing", () => {
    const reader = new GreetingReader("NULL");
    assert.equal(reader.push(new Uint8Array(0), 0), 0);
    assert.equal(reader.push(LIBZMQ_NULL, 64), 64);
    assert.equal(reader.greeting, undefined);
  });

  test("our own encodeGreeting output is read back", () => {
    for (const mechanism of ["NULL", "PLAIN", "CURVE"] as const) {
      const reader = new GreetingReader(mechanism);
      const bytes = encodeGreeting({
        mechanism,
        asServer: mechanism !== "NULL",
        routingIdLength: 3,
      });
      assert.equal(reader.push(bytes, 0), 64);
      assert.deepEqual(reader.greeting, {
        major: 3,
        minor: 1,
        mechanism,
        asServer: mechanism !== "NULL",
      });
    }
  });

  test("padding bytes 1-8 and the filler after byte 32 are ignored", () => {
    const reader = new GreetingReader("NULL");
    const bytes = greeting((b) => {
      b.fill(0xaa, 1, 9);
      b.fill(0x55, 33, 64);
    });
    assert.equal(reader.push(bytes, 0), 64);
    assert.equal(reader.greeting?.mechanism, "NULL");
  });

  test("byte 9 is tested for bit 0 only (0x01 and 0xff accepted)", () => {
    for (const value of [0x01, 0xff, 0x7f]) {
      const reader = new GreetingReader("NULL");
      assert.equal(reader.push(greeting((b) => (b[9] = value)), 0), 64, `byte 9 = ${value}`);
      assert.ok(reader.greeting !== undefined);
    }
  });

  test("the as-server byte is reported but never validated", () => {
    const reader = new GreetingReader("NULL");
    assert.equal(reader.push(greeting((b) => (b[32] = 1)), 0), 64);
    assert.equal(reader.greeting?.asServer, true);
  });
});

describe("GreetingReader: versions", () => {
  test("major 4 is accepted", () => {
    const reader = new GreetingReader("NULL");
    assert.equal(reader.push(greeting((b) => (b[10] = 4)), 0), 64);
    assert.deepEqual(reader.greeting, { major: 4, minor: 1, mechanism: "NULL", asServer: false });
  });

  test("minor 0 (ZMTP 3.0) is accepted and reported", () => {
    const reader = new GreetingReader("NULL");
    assert.equal(reader.push(greeting((b) => (b[11] = 0)), 0), 64);
    assert.deepEqual(reader.greeting, { major: 3, minor: 0, mechanism: "NULL", asServer: false });
  });

  test("ZMTP 1.0, byte 0 not 0xff: refused on the first byte", () => {
    for (const first of [0x00, 0x01, 0x05, 0xfe]) {
      const reader = new GreetingReader("NULL");
      const result = reader.push(new Uint8Array([first]), 0);
      assert.ok(result instanceof ZmqError, `byte 0 = ${first}`);
      assert.equal(result.code, "EPROTO");
      assert.match(result.message, /ZMTP 1\.0/);
      assert.ok(
        result.message.includes(`0x${first.toString(16).padStart(2, "0")}`),
        result.message,
      );
    }
  });

  test("ZMTP 1.0, byte 9 bit 0 clear: refused when byte 9 arrives, not before", () => {
    const reader = new GreetingReader("NULL");
    const { at, error } = feedByteByByte(reader, greeting((b) => (b[9] = 0x7e)));
    assert.equal(at, 9);
    assert.ok(error instanceof ZmqError);
    assert.equal(error.code, "EPROTO");
    assert.match(error.message, /ZMTP 1\.0/);
  });

  test("ZMTP 1.0 signature in one chunk of 10 bytes is refused at once", () => {
    const reader = new GreetingReader("NULL");
    const result = reader.push(greeting((b) => (b[9] = 0x00)).subarray(0, 10), 0);
    assert.ok(result instanceof ZmqError);
  });

  test("ZMTP 2.0 (revision 1) is refused when byte 10 arrives, naming 2.0", () => {
    const reader = new GreetingReader("NULL");
    const { at, error } = feedByteByByte(reader, greeting((b) => (b[10] = 1)));
    assert.equal(at, 10);
    assert.ok(error instanceof ZmqError);
    assert.equal(error.code, "EPROTO");
    assert.match(error.message, /ZMTP 2\.0/);
    assert.match(error.message, /not supported/);
  });

  test("revisions 0 and 2 are refused when byte 10 arrives, naming the revision", () => {
    for (const revision of [0, 2]) {
      const reader = new GreetingReader("NULL");
      assert.equal(reader.push(LIBZMQ_NULL.slice(0, 10), 0), 10);
      const result = reader.push(new Uint8Array([revision]), 0);
      assert.ok(result instanceof ZmqError, `revision ${revision}`);
      assert.equal(result.code, "EPROTO");
      assert.match(result.message, new RegExp(`revision ${revision}`));
      assert.match(result.message, /ZMTP 3\.0 or later/);
    }
  });

  test("libzmq's 10-byte signature followed by a ZMTP 2.0 socket-type byte in one chunk", () => {
    const reader = new GreetingReader("NULL");
    const chunk = concatBytes([LIBZMQ_NULL.slice(0, 10), new Uint8Array([0x01, 0x05, 0x00, 0x00])]);
    const result = reader.push(chunk, 0);
    assert.ok(result instanceof ZmqError);
    assert.match(result.message, /ZMTP 2\.0/);
  });
});

describe("GreetingReader: mechanism", () => {
  test("a mismatched mechanism is refused once the greeting is complete, naming both", () => {
    const plain = greeting((b) => b.set([0x50, 0x4c, 0x41, 0x49, 0x4e], 12));
    const reader = new GreetingReader("NULL");
    assert.equal(reader.push(plain.subarray(0, 63), 0), 63);
    const result = reader.push(plain.subarray(63), 0);
    assert.ok(result instanceof ZmqError);
    assert.equal(result.code, "EPROTO");
    assert.match(result.message, /"PLAIN"/);
    assert.match(result.message, /NULL/);
    assert.equal(reader.greeting, undefined);
  });

  test("CURVE expected, NULL received: refused", () => {
    const reader = new GreetingReader("CURVE");
    const result = reader.push(LIBZMQ_NULL, 0);
    assert.ok(result instanceof ZmqError);
    assert.match(result.message, /"NULL"/);
    assert.match(result.message, /CURVE/);
  });

  test('all 20 name bytes count: "NULL" followed by junk is not NULL', () => {
    const reader = new GreetingReader("NULL");
    const result = reader.push(greeting((b) => (b[20] = 0x58)), 0);
    assert.ok(result instanceof ZmqError);
  });

  test("a lower-case name is not the same mechanism", () => {
    const reader = new GreetingReader("NULL");
    const result = reader.push(greeting((b) => b.set([0x6e, 0x75, 0x6c, 0x6c], 12)), 0);
    assert.ok(result instanceof ZmqError);
  });
});
