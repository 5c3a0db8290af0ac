// XPublisher and XSubscriber (and what Publisher and Subscriber share with them): subscription
// reports and their verbosity, manual subscriptions, the welcome message, noDrop, unsubscribe on
// disconnect, upstream messages, both wire forms of a subscription, drops at the high-water mark
// and inverted matching, with our sockets on both ends.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ZmqError } from "../../core/errors.ts";
import type { Pipe } from "../../sockets/pipe.ts";
import { PipeTrie } from "../../sockets/pipe_trie.ts";
import { Publisher } from "../../sockets/publisher.ts";
import { Subscriber } from "../../sockets/subscriber.ts";
import { XPublisher } from "../../sockets/xpublisher.ts";
import { XSubscriber } from "../../sockets/xsubscriber.ts";
import { nullGreeting, RawPeer, readyFrame } from "../fixtures/raw_peer.ts";
import { bindAddress, connectReady, type LocalTransport, texts } from "../fixtures/sockets.ts";

const encoder = new TextEncoder();

/** A subscription change as XPUB reports it (and XSUB takes it): 01/00 then the topic. */
function change(subscribe: boolean, topic: string): Uint8Array {
  return Uint8Array.of(subscribe ? 1 : 0, ...encoder.encode(topic));
}

/** The next message of an XPublisher as `+topic` / `-topic` for a subscription change, else text. */
async function nextReport(xpub: XPublisher): Promise<string> {
  const [first, ...rest] = await xpub.receive();
  assert.equal(rest.length, 0, "a subscription report is one frame");
  assert.ok(first.length > 0 && first[0] <= 1, `not a subscription report: ${first}`);
  return (first[0] === 1 ? "+" : "-") + new TextDecoder().decode(first.subarray(1));
}

/** The code of a ZmqError (fails the test for anything else). */
function codeOf(error: unknown): string {
  assert.ok(error instanceof ZmqError, `expected a ZmqError, got ${String(error)}`);
  return error.code;
}

/** Asserts that nothing is waiting to be received (receiveTimeout 0 rejects at once). */
async function assertNothingPending(socket: { receive(): Promise<unknown> }): Promise<void> {
  await assert.rejects(socket.receive(), (error) => codeOf(error) === "EAGAIN");
}

/**
 * Subscribers connected to an inproc XPublisher. They subscribe after connecting: inproc hands a
 * subscription to the publisher at once, so the reports come in a known order.
 */
async function subscribers(xpub: XPublisher, count: number): Promise<Subscriber[]> {
  const subs: Subscriber[] = [];
  for (let i = 0; i < count; i++) {
    const sub = new Subscriber();
    subs.push(sub);
    await connectReady(xpub, sub);
  }
  return subs;
}

describe("XPublisher subscription reports", () => {
  test("by default a topic's first subscribe and last unsubscribe, counted over all peers", async () => {
    const xpub = new XPublisher({ receiveTimeout: 0 });
    let subs: Subscriber[] = [];
    try {
      await xpub.bind(bindAddress("inproc", "xpub-default"));
      subs = await subscribers(xpub, 2);
      subs[0].subscribe("A");
      subs[1].subscribe("A");
      subs[1].subscribe("B");
      assert.equal(await nextReport(xpub), "+A");
      assert.equal(await nextReport(xpub), "+B");
      await assertNothingPending(xpub);
      subs[0].unsubscribe("A");
      await assertNothingPending(xpub);
      subs[1].unsubscribe("A");
      assert.equal(await nextReport(xpub), "-A");
      await assertNothingPending(xpub);
    } finally {
      xpub.close();
      for (const sub of subs) sub.close();
    }
  });

  test('verbosity "allSubs" reports every subscribe, unsubscribes as by default (ZMQ_XPUB_VERBOSE)', async () => {
    const xpub = new XPublisher({ receiveTimeout: 0, verbosity: "allSubs" });
    let subs: Subscriber[] = [];
    try {
      await xpub.bind(bindAddress("inproc", "xpub-verbose"));
      subs = await subscribers(xpub, 2);
      subs[0].subscribe("A");
      subs[1].subscribe("A");
      assert.equal(await nextReport(xpub), "+A");
      assert.equal(await nextReport(xpub), "+A");
      subs[0].unsubscribe("A");
      await assertNothingPending(xpub);
      subs[1].unsubscribe("A");
      assert.equal(await nextReport(xpub), "-A");
    } finally {
      xpub.close();
      for (const sub of subs) sub.close();
    }
  });

  test('verbosity "allSubsUnsubs" reports every subscribe and unsubscribe (ZMQ_XPUB_VERBOSER)', async () => {
    const xpub = new XPublisher({ receiveTimeout: 0 });
    let subs: Subscriber[] = [];
    try {
      xpub.verbosity = "allSubsUnsubs";
      assert.equal(xpub.verbosity, "allSubsUnsubs");
      assert.throws(() => (xpub.verbosity = "all" as "allSubs"), TypeError);
      await xpub.bind(bindAddress("inproc", "xpub-verboser"));
      subs = await subscribers(xpub, 2);
      subs[0].subscribe("A");
      subs[1].subscribe("A");
      subs[0].unsubscribe("A");
      subs[1].unsubscribe("A");
      const reports = [];
      for (let i = 0; i < 4; i++) reports.push(await nextReport(xpub));
      assert.deepEqual(reports, ["+A", "+A", "-A", "-A"]);
    } finally {
      xpub.close();
      for (const sub of subs) sub.close();
    }
  });

  for (const transport of ["inproc", "tcp"] as LocalTransport[]) {
    test(`a peer that leaves unsubscribes from the topics left without subscriber (${transport})`, async () => {
      // Every subscribe is reported, so that each is known to have arrived.
      const xpub = new XPublisher({ verbosity: "allSubs" });
      const subs = [new Subscriber(), new Subscriber(), new Subscriber()];
      /** Closes a subscriber and waits until the XPublisher has seen it go. */
      const leave = async (sub: Subscriber): Promise<void> => {
        // inproc links end at once (and report no disconnect event).
        const gone = transport === "tcp" ? xpub.events.next("disconnect") : undefined;
        sub.close();
        await gone;
      };
      try {
        await xpub.bind(bindAddress(transport, "xpub-leave"));
        for (const sub of subs) await connectReady(xpub, sub);
        subs[0].subscribe("A", "C");
        assert.deepEqual([await nextReport(xpub), await nextReport(xpub)].sort(), ["+A", "+C"]);
        subs[1].subscribe("A");
        assert.equal(await nextReport(xpub), "+A");
        subs[2].subscribe("B");
        assert.equal(await nextReport(xpub), "+B");
        // The first subscriber leaves: "C" has no subscriber left, "A" still has one.
        await leave(subs[0]);
        assert.equal(await nextReport(xpub), "-C");
        await leave(subs[2]);
        // Had "A" been reported when the first subscriber left, it would come before "B".
        assert.equal(await nextReport(xpub), "-B");
        await leave(subs[1]);
        assert.equal(await nextReport(xpub), "-A");
      } finally {
        xpub.close();
        for (const sub of subs) sub.close();
      }
    });
  }

  test("subscriptions in either wire form, on one connection: command and 01/00 message", async () => {
    const xpub = new XPublisher();
    let peer: RawPeer | undefined;
    try {
      await xpub.bind(bindAddress("tcp", "xpub-wire"));
      const ready = xpub.events.next("handshake");
      peer = await RawPeer.connect(xpub.lastEndpoint!);
      peer.write(nullGreeting());
      peer.write(readyFrame("XSUB"));
      await ready;
      const subscribe = encoder.encode("\x09SUBSCRIBE");
      // SUBSCRIBE "AB" as a 3.1 command, "CD" as a 3.0 message, then both frames of a
      // two-frame message (libzmq checks every frame), then CANCEL "AB" as a message.
      peer.write(Uint8Array.of(0x04, subscribe.length + 2, ...subscribe, 0x41, 0x42));
      peer.write(Uint8Array.of(0x00, 3, ...change(true, "CD")));
      peer.write(Uint8Array.of(0x01, 2, ...change(true, "E"), 0x00, 2, ...change(true, "F")));
      peer.write(Uint8Array.of(0x00, 3, ...change(false, "AB")));
      const reports = [];
      for (let i = 0; i < 5; i++) reports.push(await nextReport(xpub));
      assert.deepEqual(reports, ["+AB", "+CD", "+E", "+F", "-AB"]);
      // The subscriptions apply: "CD..." reaches the peer; "AB..." no longer does, or it would
      // have arrived first.
      await xpub.send("AB-no");
      await xpub.send("CD-yes");
      const frame = (body: string): string => String.fromCharCode(0, body.length) + body;
      let received = "";
      while (!received.includes(frame("CD-yes"))) {
        received = String.fromCharCode(...await peer.receivedAtLeast(received.length + 1));
      }
      assert.ok(!received.includes("AB-no"));
    } finally {
      peer?.close();
      xpub.close();
    }
  });
});

describe("XPublisher manual (ZMQ_XPUB_MANUAL)", () => {
  test("subscriptions are reported, not applied; subscribe() applies to the last reporter's pipe", async () => {
    const xpub = new XPublisher({ manual: true, receiveTimeout: 0 });
    const sub = new Subscriber({ receiveTimeout: 0 });
    // It filters nothing itself: what it receives is what the XPublisher sent it.
    const xsub = new XSubscriber({ receiveTimeout: 0 });
    try {
      await xpub.bind(bindAddress("inproc", "xpub-manual"));
      await connectReady(xpub, sub);
      await connectReady(xpub, xsub);
      sub.subscribe("A");
      assert.equal(await nextReport(xpub), "+A");
      // Reported but not applied: nothing is sent to the subscriber yet.
      await xpub.send("A-before");
      await assertNothingPending(sub);
      // Applied to the pipe of the report just received, as a different topic even.
      xpub.subscribe("");
      await xpub.send("A-after");
      assert.deepEqual(texts(await sub.receive()), ["A-after"]);
      // The other peer asks for "A" too: reported again (manual reports everything), not applied.
      await xsub.send(change(true, "A"));
      assert.equal(await nextReport(xpub), "+A");
      await xpub.send("A-first-only");
      await assertNothingPending(xsub);
      xpub.subscribe("A");
      await xpub.send("A-both");
      assert.deepEqual(texts(await xsub.receive()), ["A-both"]);
      await xsub.send(change(false, "A"));
      assert.equal(await nextReport(xpub), "-A");
      xpub.unsubscribe("A");
      await xpub.send("A-first-again");
      await assertNothingPending(xsub);
      for (const body of ["A-first-only", "A-both", "A-first-again"]) {
        assert.deepEqual(texts(await sub.receive()), [body]);
      }
    } finally {
      xpub.close();
      sub.close();
      xsub.close();
    }
  });

  test("a peer that leaves is reported as unsubscribing from every topic it asked for", async () => {
    const xpub = new XPublisher({ manual: true });
    let subs: Subscriber[] = [];
    try {
      await xpub.bind(bindAddress("inproc", "xpub-manual-leave"));
      subs = await subscribers(xpub, 2);
      subs[0].subscribe("A");
      subs[1].subscribe("A");
      assert.equal(await nextReport(xpub), "+A");
      assert.equal(await nextReport(xpub), "+A");
      subs[0].close();
      assert.equal(await nextReport(xpub), "-A");
      // The cancel of a peer that left has no pipe: subscribe() then does nothing.
      xpub.subscribe("A");
      await xpub.send("A-nobody");
      subs[1].receiveTimeout = 0;
      await assertNothingPending(subs[1]);
    } finally {
      xpub.close();
      for (const sub of subs) sub.close();
    }
  });

  test("subscribe() without manual is EINVAL", () => {
    const xpub = new XPublisher();
    try {
      assert.throws(() => xpub.subscribe("A"), (error) => codeOf(error) === "EINVAL");
    } finally {
      xpub.close();
    }
  });
});

describe("XPublisher welcome message (ZMQ_XPUB_WELCOME_MSG)", () => {
  for (const transport of ["inproc", "tcp"] as LocalTransport[]) {
    test(`every new subscriber gets it first; a Subscriber filters it, an XSubscriber does not (${transport})`, async () => {
      const xpub = new XPublisher({ welcomeMessage: "WELCOME" });
      const sub = new Subscriber();
      const other = new Subscriber();
      const xsub = new XSubscriber();
      try {
        assert.deepEqual(xpub.welcomeMessage, encoder.encode("WELCOME"));
        const address = bindAddress(transport, "xpub-welcome");
        await sub.bind(address);
        sub.subscribe("WEL");
        xpub.connect(sub.lastEndpoint!);
        assert.deepEqual(texts(await sub.receive()), ["WELCOME"]);
        await xpub.bind(bindAddress(transport, "xpub-welcome-bound"));
        await connectReady(xpub, xsub);
        assert.deepEqual(texts(await xsub.receive()), ["WELCOME"]);
        await connectReady(xpub, other);
        other.subscribe("X");
        // From two connections: their order is not fixed over tcp.
        assert.deepEqual([await nextReport(xpub), await nextReport(xpub)].sort(), ["+WEL", "+X"]);
        await xpub.send("X-after");
        // The welcome went first, and was filtered out.
        assert.deepEqual(texts(await other.receive()), ["X-after"]);
      } finally {
        xpub.close();
        sub.close();
        other.close();
        xsub.close();
      }
    });
  }
});

describe("drops and waits at the high-water mark", () => {
  test("a Publisher drops for a full subscriber while another gets every message (inproc)", async () => {
    const publisher = new Publisher({ sendHighWaterMark: 2 });
    const slow = new Subscriber({ receiveHighWaterMark: 3 });
    const fast = new Subscriber({ receiveHighWaterMark: 0 });
    try {
      await publisher.bind(bindAddress("inproc", "pub-drop"));
      for (const sub of [slow, fast]) {
        await connectReady(publisher, sub);
        sub.subscribe();
      }
      for (let i = 0; i < 20; i++) await publisher.send(String(i));
      for (let i = 0; i < 20; i++) assert.deepEqual(texts(await fast.receive()), [String(i)]);
      // 2 queued at the Publisher, 3 at the Subscriber: exactly messages 0 to 4.
      for (let i = 0; i < 5; i++) assert.deepEqual(texts(await slow.receive()), [String(i)]);
      await publisher.send("marker");
      assert.deepEqual(texts(await slow.receive()), ["marker"]);
    } finally {
      publisher.close();
      slow.close();
      fast.close();
    }
  });

  for (const Type of [XPublisher, Publisher]) {
    test(`${Type.name} noDrop waits for room (EAGAIN with sendTimeout 0); nothing is lost (ZMQ_XPUB_NODROP)`, async () => {
      const xpub = new Type({ noDrop: true, sendHighWaterMark: 2, sendTimeout: 0 });
      const sub = new Subscriber({ receiveHighWaterMark: 3 });
      const elsewhere = new Subscriber({ receiveHighWaterMark: 1 });
      try {
        assert.equal(xpub.noDrop, true);
        await xpub.bind(bindAddress("inproc", "xpub-nodrop"));
        await connectReady(xpub, sub);
        await connectReady(xpub, elsewhere);
        sub.subscribe("A");
        elsewhere.subscribe("B");
        let sent = 0;
        for (;; sent++) {
          assert.ok(sent < 1000, "the queues never filled: messages are being dropped");
          try {
            await xpub.send(`A${sent}`);
          } catch (error) {
            assert.equal(codeOf(error), "EAGAIN");
            break;
          }
        }
        assert.equal(sent, 5);
        // A message no full subscriber wants still goes.
        await xpub.send("B0");
        assert.deepEqual(texts(await elsewhere.receive()), ["B0"]);
        xpub.sendTimeout = -1;
        const waiting = xpub.send("A-last");
        for (let i = 0; i < sent; i++) assert.deepEqual(texts(await sub.receive()), [`A${i}`]);
        await waiting;
        assert.deepEqual(texts(await sub.receive()), ["A-last"]);
      } finally {
        xpub.close();
        sub.close();
        elsewhere.close();
      }
    });
  }
});

describe("XSubscriber", () => {
  for (const transport of ["inproc", "tcp"] as LocalTransport[]) {
    test(`subscribes by sending 01/00 (counted), sends other messages upstream, receives unfiltered (${transport})`, async () => {
      const xpub = new XPublisher();
      const xsub = new XSubscriber();
      try {
        await xpub.bind(bindAddress(transport, "xsub"));
        await connectReady(xpub, xsub);
        await xsub.send(change(true, "A"));
        assert.equal(await nextReport(xpub), "+A");
        await xsub.send(["hello", "upstream"]);
        assert.deepEqual(texts(await xpub.receive()), ["hello", "upstream"]);
        await xpub.send(["A1", "frame"]);
        await xpub.send("B1");
        assert.deepEqual(texts(await xsub.receive()), ["A1", "frame"]);
        // Counted: two subscribes need two cancels before the CANCEL goes out.
        await xsub.send(change(true, "A"));
        await xsub.send(change(false, "A"));
        await xsub.send("fence");
        assert.deepEqual(texts(await xpub.receive()), ["fence"]);
        await xsub.send(change(false, "A"));
        assert.equal(await nextReport(xpub), "-A");
        // Subscriptions inside a message: every frame starting with 01/00 is one.
        await xsub.send([change(true, "C"), change(true, "D")]);
        assert.equal(await nextReport(xpub), "+C");
        assert.equal(await nextReport(xpub), "+D");
      } finally {
        xpub.close();
        xsub.close();
      }
    });
  }

  test("its subscriptions are sent again to a publisher it reconnects to", async () => {
    const first = new XPublisher();
    const xsub = new XSubscriber({ reconnectInterval: 10 });
    let second: XPublisher | undefined;
    try {
      await first.bind("tcp://127.0.0.1:0");
      const address = first.lastEndpoint!;
      await xsub.send(change(true, "A"));
      await xsub.send(change(true, "A"));
      await xsub.send(change(true, "B"));
      xsub.connect(address);
      assert.deepEqual([await nextReport(first), await nextReport(first)].sort(), ["+A", "+B"]);
      const released = first.events.next("close");
      first.close();
      await released;
      second = new XPublisher({ verbosity: "allSubs" });
      await second.bind(address);
      // Each topic once, whatever its count, as libzmq replays them.
      assert.deepEqual([await nextReport(second), await nextReport(second)].sort(), ["+A", "+B"]);
    } finally {
      first.close();
      second?.close();
      xsub.close();
    }
  });

  test("linger defaults to 0, as in libzmq, unless given", () => {
    const sockets = [new XSubscriber(), new Subscriber(), new XSubscriber({ linger: 50 })];
    try {
      assert.deepEqual(sockets.map((socket) => socket.linger), [0, 0, 50]);
    } finally {
      for (const socket of sockets) socket.close();
    }
  });
});

describe("invertMatching (ZMQ_INVERT_MATCHING)", () => {
  for (const Type of [Publisher, XPublisher]) {
    test(`${Type.name} sends to the subscribers none of whose topics match`, async () => {
      const publisher = new Type({ invertMatching: true });
      const sub = new Subscriber({ invertMatching: true });
      const plain = new Subscriber();
      try {
        assert.equal(publisher.invertMatching, true);
        await publisher.bind(bindAddress("inproc", "invert"));
        await connectReady(publisher, sub);
        await connectReady(publisher, plain);
        sub.subscribe("A");
        plain.subscribe("A");
        await publisher.send("A-matching");
        await publisher.send("B-other");
        await publisher.send("A-again");
        publisher.invertMatching = false;
        await publisher.send("A-normal");
        assert.deepEqual(texts(await sub.receive()), ["B-other"]);
        // The plain Subscriber rejects "B-other" locally: it gets only the normal send.
        assert.deepEqual(texts(await plain.receive()), ["A-normal"]);
      } finally {
        publisher.close();
        sub.close();
        plain.close();
      }
    });
  }
});

describe("send-only and receive-only", () => {
  test("Publisher.receive and Subscriber.send are type errors and reject with ENOTSUP", async () => {
    const publisher = new Publisher();
    const subscriber = new Subscriber();
    try {
      // @ts-expect-error: a Publisher cannot receive.
      await assert.rejects(publisher.receive(), (error) => codeOf(error) === "ENOTSUP");
      // @ts-expect-error: a Subscriber cannot send.
      await assert.rejects(subscriber.send("x"), (error) => codeOf(error) === "ENOTSUP");
    } finally {
      publisher.close();
      subscriber.close();
    }
  });
});

describe("PipeTrie (the publisher's subscriptions)", () => {
  const pipes = [{}, {}, {}] as Pipe[];
  const bytes = (text: string): Uint8Array => encoder.encode(text);

  test("matches by prefix, a pipe once per topic; removal says whether subscribers remain", () => {
    const trie = new PipeTrie();
    assert.equal(trie.add(bytes("ab"), pipes[0]), true);
    assert.equal(trie.add(bytes("ab"), pipes[0]), false);
    assert.equal(trie.add(bytes("ab"), pipes[1]), false);
    assert.equal(trie.add(bytes(""), pipes[2]), true);
    const seen: Pipe[] = [];
    trie.match(bytes("abc"), (pipe) => seen.push(pipe));
    assert.deepEqual(new Set(seen), new Set(pipes));
    seen.length = 0;
    trie.match(bytes("a"), (pipe) => seen.push(pipe));
    assert.deepEqual(seen, [pipes[2]]);
    assert.equal(trie.remove(bytes("ab"), pipes[2]), "absent");
    assert.equal(trie.remove(bytes("abc"), pipes[0]), "absent");
    assert.equal(trie.remove(bytes("ab"), pipes[0]), "remain");
    assert.equal(trie.remove(bytes("ab"), pipes[1]), "last");
  });

  test("removing a pipe reports each of its topics, even one too long for a recursive walk", () => {
    const trie = new PipeTrie();
    const long = new Uint8Array(200_000).fill(0x41);
    trie.add(long, pipes[0]);
    trie.add(bytes("A"), pipes[0]);
    trie.add(bytes("A"), pipes[1]);
    trie.add(bytes("B"), pipes[0]);
    const removed: [number, boolean][] = [];
    trie.removePipe(pipes[0], (topic, last) => removed.push([topic.length, last]));
    assert.deepEqual(removed.sort(), [[1, false], [1, true], [200_000, true]]);
    // What is left is what the other pipe has.
    const seen: Pipe[] = [];
    trie.match(long, (pipe) => seen.push(pipe));
    assert.deepEqual(seen, [pipes[1]]);
    assert.equal(trie.remove(bytes("B"), pipes[0]), "absent");
  });
});
