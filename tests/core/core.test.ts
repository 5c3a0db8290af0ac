// core/: endpoints, the Deque, byte helpers and errors; and the subscription PrefixTrie, a pure
// data structure from sockets/ with no protocol dependency.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  ascii,
  bytesEqual,
  concatBytes,
  EMPTY,
  fromAscii,
  fromHex,
  fromUtf8,
  toHex,
  utf8,
} from "../../core/bytes.ts";
import { Deque } from "../../core/deque.ts";
import { type Endpoint, formatEndpoint, parseEndpoint } from "../../core/endpoint.ts";
import { protocolError, ZmqError } from "../../core/errors.ts";
import { PrefixTrie } from "../../sockets/prefix_trie.ts";

function assertZmqError(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ZmqError, `expected a ZmqError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

describe("parseEndpoint / formatEndpoint", () => {
  test("tcp with IPv4, hostname, IPv6 and wildcard hosts", () => {
    const cases: [string, Endpoint][] = [
      ["tcp://127.0.0.1:5555", { transport: "tcp", host: "127.0.0.1", port: 5555 }],
      ["tcp://localhost:80", { transport: "tcp", host: "localhost", port: 80 }],
      ["tcp://example.com:65535", { transport: "tcp", host: "example.com", port: 65535 }],
      ["tcp://[::1]:5555", { transport: "tcp", host: "::1", port: 5555 }],
      ["tcp://[fe80::1%eth0]:1", { transport: "tcp", host: "fe80::1%eth0", port: 1 }],
      ["tcp://*:5556", { transport: "tcp", host: "*", port: 5556 }],
      ["tcp://0.0.0.0:0", { transport: "tcp", host: "0.0.0.0", port: 0 }],
      ["tcp://[::]:0", { transport: "tcp", host: "::", port: 0 }],
    ];
    for (const [address, expected] of cases) {
      assert.deepEqual(parseEndpoint(address), expected, address);
      assert.equal(formatEndpoint(expected), address, address);
    }
  });

  test("port `*` means an ephemeral port (0) and formats back as 0", () => {
    assert.deepEqual(parseEndpoint("tcp://*:*"), { transport: "tcp", host: "*", port: 0 });
    assert.deepEqual(parseEndpoint("tcp://127.0.0.1:*"), {
      transport: "tcp",
      host: "127.0.0.1",
      port: 0,
    });
    assert.equal(formatEndpoint(parseEndpoint("tcp://*:*")), "tcp://*:0");
  });

  test("an unbracketed IPv6 address uses the last colon for the port and formats bracketed", () => {
    const endpoint = parseEndpoint("tcp://::1:5555");
    assert.deepEqual(endpoint, { transport: "tcp", host: "::1", port: 5555 });
    assert.equal(formatEndpoint(endpoint), "tcp://[::1]:5555");
  });

  test("bad ports are EINVAL, naming the port", () => {
    for (
      const [address, port] of [
        ["tcp://127.0.0.1:65536", "65536"],
        ["tcp://127.0.0.1:99999999", "99999999"],
        ["tcp://127.0.0.1:-1", "-1"],
        ["tcp://127.0.0.1:abc", "abc"],
        ["tcp://127.0.0.1:", ""],
        ["tcp://127.0.0.1:1.5", "1.5"],
        ["tcp://127.0.0.1:1e3", "1e3"],
        ["tcp://127.0.0.1: 80", " 80"],
        ["tcp://127.0.0.1:0x50", "0x50"],
      ]
    ) {
      assertZmqError(
        () => parseEndpoint(address),
        "EINVAL",
        new RegExp(`port "${port.replace(/[.*+]/g, "\\$&")}"`),
      );
    }
  });

  test("a tcp address without a port or host is EINVAL", () => {
    assertZmqError(() => parseEndpoint("tcp://localhost"), "EINVAL", /missing port/);
    assertZmqError(() => parseEndpoint("tcp://:5555"), "EINVAL", /missing host/);
    assertZmqError(() => parseEndpoint("tcp://[::1]"), "EINVAL", /missing port/);
  });

  test("unbalanced brackets around an IPv6 host are EINVAL", () => {
    for (const address of ["tcp://[::1:5555", "tcp://::1]:5555", "tcp://[::1]5555"]) {
      assertZmqError(() => parseEndpoint(address), "EINVAL", /brackets|missing port/);
    }
  });

  test("a source address (libzmq `src;dst`) is ENOTSUP", () => {
    assertZmqError(() => parseEndpoint("tcp://127.0.0.1:1;127.0.0.1:2"), "ENOTSUP", /source/);
  });

  test("unknown schemes are ENOTSUP, naming the scheme", () => {
    for (const scheme of ["udp", "pgm", "epgm", "ws", "wss", "vmci", "norm", "http"]) {
      assertZmqError(
        () => parseEndpoint(`${scheme}://host:1`),
        "ENOTSUP",
        new RegExp(`"${scheme}"`),
      );
    }
  });

  test("malformed addresses are EINVAL; non-strings are TypeError", () => {
    for (
      const address of [
        "",
        "tcp:/x:1",
        "127.0.0.1:5555",
        "tcp://",
        "TCP://h:1",
        "://h:1",
        "inproc://",
      ]
    ) {
      assertZmqError(() => parseEndpoint(address), "EINVAL");
    }
    assert.throws(() => parseEndpoint(42 as unknown as string), TypeError);
    assert.throws(() => parseEndpoint(undefined as unknown as string), TypeError);
  });

  test("ipc and inproc keep everything after the scheme", () => {
    const cases: [string, Endpoint][] = [
      ["ipc:///tmp/feed.sock", { transport: "ipc", path: "/tmp/feed.sock" }],
      ["ipc://relative/path", { transport: "ipc", path: "relative/path" }],
      ["ipc://@abstract-name", { transport: "ipc", path: "@abstract-name" }],
      ["inproc://workers", { transport: "inproc", name: "workers" }],
      ["inproc://a:b/c?d", { transport: "inproc", name: "a:b/c?d" }],
    ];
    for (const [address, expected] of cases) {
      assert.deepEqual(parseEndpoint(address), expected, address);
      assert.equal(formatEndpoint(expected), address);
    }
  });
});

describe("Deque", () => {
  test("FIFO order across many pushes and shifts, with growth and wrap-around", () => {
    const deque = new Deque<number>();
    const model: number[] = [];
    let next = 0;
    // Interleave bursts of pushes and shifts so the ring wraps at several capacities.
    for (let round = 0; round < 200; round++) {
      const pushes = (round * 7) % 53 + 1;
      const shifts = (round * 11) % 41;
      for (let i = 0; i < pushes; i++) {
        deque.push(next);
        model.push(next++);
      }
      for (let i = 0; i < shifts; i++) assert.equal(deque.shift(), model.shift(), `round ${round}`);
      assert.equal(deque.length, model.length);
      assert.equal(deque.peek(), model[0]);
      assert.deepEqual([...deque], model);
    }
    while (model.length > 0) assert.equal(deque.shift(), model.shift());
    assert.equal(deque.length, 0);
    assert.equal(deque.shift(), undefined);
    assert.equal(deque.peek(), undefined);
    assert.ok(next > 3000);
  });

  test("100 000 items in, 100 000 out", () => {
    const deque = new Deque<{ i: number }>();
    for (let i = 0; i < 100_000; i++) deque.push({ i });
    assert.equal(deque.length, 100_000);
    for (let i = 0; i < 100_000; i++) assert.equal(deque.shift()?.i, i);
    assert.equal(deque.length, 0);
  });

  test("grows while the head is in the middle of the ring", () => {
    const deque = new Deque<string>();
    for (let i = 0; i < 10; i++) deque.push(`a${i}`);
    for (let i = 0; i < 7; i++) deque.shift();
    for (let i = 0; i < 30; i++) deque.push(`b${i}`); // wraps, then grows
    const expected = ["a7", "a8", "a9", ...Array.from({ length: 30 }, (_, i) => `b${i}`)];
    assert.deepEqual([...deque], expected);
    assert.deepEqual(Array.from({ length: deque.length }, () => deque.shift()), expected);
  });

  test("undefined-like values and falsy items are kept", () => {
    const deque = new Deque<number | null | string>();
    deque.push(0);
    deque.push(null);
    deque.push("");
    assert.equal(deque.length, 3);
    assert.equal(deque.shift(), 0);
    assert.equal(deque.shift(), null);
    assert.equal(deque.shift(), "");
  });

  test("clear empties it and it works afterwards", () => {
    const deque = new Deque<number>();
    for (let i = 0; i < 100; i++) deque.push(i);
    deque.clear();
    assert.equal(deque.length, 0);
    assert.deepEqual([...deque], []);
    assert.equal(deque.shift(), undefined);
    deque.push(5);
    deque.push(6);
    assert.deepEqual([...deque], [5, 6]);
  });
});

describe("PrefixTrie", () => {
  const t = (text: string): Uint8Array => utf8(text);
  const topicList = (trie: PrefixTrie): [string, number][] =>
    [...trie.topics()].map(([topic, count]): [string, number] => [fromUtf8(topic), count]).sort();

  test("counts: add reports new topics, remove reports the last count going", () => {
    const trie = new PrefixTrie();
    assert.equal(trie.add(t("news")), true);
    assert.equal(trie.add(t("news")), false);
    assert.equal(trie.add(t("new")), true);
    assert.equal(trie.size, 2);
    assert.deepEqual(topicList(trie), [["new", 1], ["news", 2]]);
    assert.equal(trie.remove(t("news")), false, "one count left");
    assert.equal(trie.has(t("news")), true);
    assert.equal(trie.remove(t("news")), true, "last count");
    assert.equal(trie.has(t("news")), false);
    assert.equal(trie.remove(t("news")), false, "already gone");
    assert.equal(trie.remove(t("ne")), false, "never added, inner node");
    assert.equal(trie.remove(t("xyz")), false, "never added, no path");
    assert.equal(trie.size, 1);
    assert.deepEqual(topicList(trie), [["new", 1]]);
  });

  test("prefix matching is binary and on the start of the data", () => {
    const trie = new PrefixTrie();
    trie.add(t("news."));
    trie.add(new Uint8Array([0x00, 0xff]));
    assert.equal(trie.matches(t("news.sport")), true);
    assert.equal(trie.matches(t("news.")), true);
    assert.equal(trie.matches(t("news")), false);
    assert.equal(trie.matches(t("the news.")), false);
    assert.equal(trie.matches(EMPTY), false);
    assert.equal(trie.matches(new Uint8Array([0x00, 0xff, 0x01])), true);
    assert.equal(trie.matches(new Uint8Array([0x00, 0xfe])), false);
  });

  test("the empty topic matches everything, including empty data", () => {
    const trie = new PrefixTrie();
    assert.equal(trie.matches(t("x")), false);
    assert.equal(trie.add(EMPTY), true);
    assert.equal(trie.has(EMPTY), true);
    assert.equal(trie.matches(EMPTY), true);
    assert.equal(trie.matches(t("anything")), true);
    assert.deepEqual(topicList(trie), [["", 1]]);
    assert.equal(trie.remove(EMPTY), true);
    assert.equal(trie.size, 0);
    assert.equal(trie.matches(t("anything")), false);
  });

  test("removing a topic prunes its branch but keeps topics on the same path", () => {
    const trie = new PrefixTrie();
    for (const topic of ["a", "abc", "abd", "abcde"]) trie.add(t(topic));
    assert.equal(trie.remove(t("abcde")), true);
    assert.equal(trie.matches(t("abcdz")), true, "abc still matches");
    assert.equal(trie.has(t("abc")), true);
    assert.equal(trie.remove(t("abc")), true);
    assert.equal(trie.has(t("abd")), true);
    assert.equal(trie.matches(t("abdx")), true);
    assert.equal(trie.matches(t("abc")), true, "via a");
    assert.equal(trie.remove(t("a")), true);
    assert.equal(trie.matches(t("abc")), false);
    assert.equal(trie.matches(t("abd")), true);
    assert.equal(trie.remove(t("abd")), true);
    assert.equal(trie.size, 0);
    assert.deepEqual(topicList(trie), []);
    assert.equal(trie.matches(t("abd")), false);
    // The pruned path can be built again.
    assert.equal(trie.add(t("abcde")), true);
    assert.equal(trie.matches(t("abcdef")), true);
    assert.equal(trie.matches(t("abcd")), false);
  });

  test("has() is exact, matches() is prefix", () => {
    const trie = new PrefixTrie();
    trie.add(t("ab"));
    assert.equal(trie.has(t("a")), false);
    assert.equal(trie.has(t("abc")), false);
    assert.equal(trie.has(EMPTY), false);
    assert.equal(trie.matches(t("abc")), true);
  });

  test("topics() yields every topic with its count; clear() empties", () => {
    const trie = new PrefixTrie();
    const expected = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const topic = `t${i % 37}.${i % 5}`;
      trie.add(t(topic));
      expected.set(topic, (expected.get(topic) ?? 0) + 1);
    }
    assert.equal(trie.size, expected.size);
    assert.deepEqual(topicList(trie), [...expected].sort());
    trie.clear();
    assert.equal(trie.size, 0);
    assert.deepEqual(topicList(trie), []);
    assert.equal(trie.matches(t("t1.1")), false);
  });

  test("agrees with a naive model over a seeded random workload", () => {
    let state = 12345;
    const random = (): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 4294967296;
    };
    const word = (): Uint8Array => {
      const bytes = new Uint8Array(Math.floor(random() * 4));
      for (let i = 0; i < bytes.length; i++) bytes[i] = 0x61 + Math.floor(random() * 3);
      return bytes;
    };
    const trie = new PrefixTrie();
    const model = new Map<string, number>();
    for (let step = 0; step < 5000; step++) {
      const topic = word();
      const key = toHex(topic);
      if (random() < 0.55) {
        const isNew = !model.has(key);
        model.set(key, (model.get(key) ?? 0) + 1);
        assert.equal(trie.add(topic), isNew, `step ${step} add ${key}`);
      } else {
        const count = model.get(key) ?? 0;
        if (count === 1) model.delete(key);
        else if (count > 1) model.set(key, count - 1);
        assert.equal(trie.remove(topic), count === 1, `step ${step} remove ${key}`);
      }
      const data = word();
      const dataHex = toHex(data);
      const expected = [...model.keys()].some((k) => dataHex.startsWith(k));
      assert.equal(trie.matches(data), expected, `step ${step} matches ${dataHex}`);
      assert.equal(trie.size, model.size);
    }
    const topics = [...trie.topics()].map((
      [topic, count],
    ): [string, number] => [toHex(topic), count]);
    assert.deepEqual(topics.sort(), [...model].sort());
  });
});

describe("bytes helpers", () => {
  test("hex round trip over every byte value", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const hex = toHex(all);
    assert.equal(hex.length, 512);
    assert.equal(hex.slice(0, 8), "00010203");
    assert.equal(hex.slice(-4), "feff");
    assert.deepEqual(fromHex(hex), all);
    assert.deepEqual(fromHex(hex.toUpperCase()), all);
  });

  test("fromHex ignores whitespace and rejects odd lengths and non-hex", () => {
    assert.deepEqual(fromHex("ff 01\n0a\t"), new Uint8Array([0xff, 0x01, 0x0a]));
    assert.deepEqual(fromHex(""), new Uint8Array(0));
    for (const bad of ["f", "abc", "zz", "0x10", "g0"]) {
      assert.throws(() => fromHex(bad), TypeError, bad);
    }
  });

  test("utf8 and fromUtf8 round trip multi-byte text", () => {
    const text = "hé€😀";
    const bytes = utf8(text);
    assert.equal(toHex(bytes), "68" + "c3a9" + "e282ac" + "f09f9880");
    assert.equal(fromUtf8(bytes), text);
    assert.equal(fromUtf8(utf8("")), "");
  });

  test("ascii and fromAscii map one byte per character, with a range", () => {
    assert.equal(toHex(ascii("READY")), "5245414459");
    assert.equal(fromAscii(new Uint8Array([0x4e, 0x55, 0x4c, 0x4c])), "NULL");
    assert.equal(fromAscii(ascii("xxNULLyy"), 2, 6), "NULL");
    assert.equal(fromAscii(new Uint8Array([0xff, 0x80])), "\u00ff\u0080");
  });

  test("bytesEqual and concatBytes", () => {
    assert.equal(bytesEqual(utf8("ab"), utf8("ab")), true);
    assert.equal(bytesEqual(utf8("ab"), utf8("ac")), false);
    assert.equal(bytesEqual(utf8("ab"), utf8("abc")), false);
    assert.equal(bytesEqual(EMPTY, new Uint8Array(0)), true);
    const parts = [utf8("ab"), EMPTY, new Uint8Array([0]), utf8("c")];
    const joined = concatBytes(parts);
    assert.equal(toHex(joined), "61620063");
    joined[0] = 0x7a;
    assert.equal(parts[0][0], 0x61, "concat copies");
    assert.equal(concatBytes([]).length, 0);
    assert.equal(EMPTY.length, 0);
  });
});

describe("errors", () => {
  test("ZmqError carries a code, a message and a cause", () => {
    const cause = new Error("socket hang up");
    const error = new ZmqError("ECONNRESET", "connection reset", { cause });
    assert.ok(error instanceof Error);
    assert.equal(error.name, "ZmqError");
    assert.equal(error.code, "ECONNRESET");
    assert.equal(error.message, "connection reset");
    assert.equal(error.cause, cause);
  });

  test("protocolError is an EPROTO ZmqError", () => {
    const error = protocolError("bad greeting");
    assert.ok(error instanceof ZmqError);
    assert.equal(error.code, "EPROTO");
    assert.equal(error.message, "bad greeting");
  });
});
