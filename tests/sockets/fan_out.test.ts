// The publisher's routing on its own (FanOut over PipeTrie), with pipes served by a stub
// connection: who gets a message when one topic matches, when several prefixes of the message
// match the same pipe, when a pipe is full or disconnected, inverted, and with noDrop.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FanOut } from "../../sockets/fan_out.ts";
import type { Message } from "../../sockets/message.ts";
import { Pipe, type PipeEngine, type PipeOwner } from "../../sockets/pipe.ts";
import { PipeTrie } from "../../sockets/pipe_trie.ts";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (message: Message): string => new TextDecoder().decode(message[0]);

const owner: PipeOwner = { pipeReadable() {}, pipeWritable() {} };

/** A connection that records what it is given; `accepting` false leaves messages queued. */
class StubEngine implements PipeEngine {
  accepting = true;
  readonly written: string[] = [];
  write(message: Message): void {
    this.written.push(text(message));
  }
  writeQueued(message: Message): void {
    this.write(message);
  }
  pull(): void {}
  setReading(): void {}
  sendSubscription(): void {}
}

/** A pipe with a send high-water mark of `hwm`, attached to a stub engine unless `connected` is false. */
function peer(fanOut: FanOut, hwm = 1000, connected = true): { pipe: Pipe; engine: StubEngine } {
  const pipe = new Pipe(owner, hwm, 1000);
  const engine = new StubEngine();
  if (connected) pipe.attach(engine);
  fanOut.attach(pipe);
  return { pipe, engine };
}

/** What each pipe got: its written messages, then those still queued. */
function received(...peers: { pipe: Pipe; engine: StubEngine }[]): string[][] {
  return peers.map(({ pipe, engine }) => [...engine.written, ...[...pipe.outbound].map(text)]);
}

const noListener = { subscription() {}, upstream() {} };

describe("FanOut (the publisher's routing)", () => {
  test("every pipe on the one matching topic gets a message once; a disconnected pipe gets nothing", () => {
    const fanOut = new FanOut(noListener);
    const a = peer(fanOut);
    const b = peer(fanOut);
    const away = peer(fanOut, 1000, false);
    for (const { pipe } of [a, b, away]) fanOut.subscription(pipe, true, bytes(""));
    assert.equal(fanOut.send([bytes("m1")]), true);
    assert.equal(fanOut.send([bytes("")]), true);
    assert.deepEqual(received(a, b, away), [["m1", ""], ["m1", ""], []]);
  });

  test("a pipe subscribed to several prefixes of a message gets it once", () => {
    const fanOut = new FanOut(noListener);
    const all = peer(fanOut);
    const other = peer(fanOut);
    for (const topic of ["", "a", "ab", "abc"]) fanOut.subscription(all.pipe, true, bytes(topic));
    fanOut.subscription(other.pipe, true, bytes("ab"));
    fanOut.subscription(other.pipe, true, bytes("b"));
    for (const message of ["abcd", "ab", "a", "b", "x"]) fanOut.send([bytes(message)]);
    assert.deepEqual(received(all, other), [["abcd", "ab", "a", "b", "x"], ["abcd", "ab", "b"]]);
  });

  test("a full pipe misses the message, the others still get it", () => {
    const fanOut = new FanOut(noListener);
    const full = peer(fanOut, 1);
    const free = peer(fanOut);
    full.engine.accepting = false;
    for (const { pipe } of [full, free]) fanOut.subscription(pipe, true, bytes("t"));
    for (const message of ["t1", "t2", "t3"]) assert.equal(fanOut.send([bytes(message)]), true);
    assert.deepEqual(received(full, free), [["t1"], ["t1", "t2", "t3"]]);
  });

  test("noDrop: with one matching pipe full, nothing is sent to any (one topic or several)", () => {
    for (const topics of [["t"], ["t", "t2"]]) {
      const fanOut = new FanOut(noListener);
      fanOut.noDrop = true;
      const full = peer(fanOut, 1);
      const free = peer(fanOut);
      full.engine.accepting = false;
      for (const topic of topics) {
        for (const { pipe } of [full, free]) fanOut.subscription(pipe, true, bytes(topic));
      }
      assert.equal(fanOut.send([bytes("t1")]), true);
      assert.equal(fanOut.send([bytes("t2")]), false);
      assert.deepEqual(received(full, free), [["t1"], ["t1"]], `topics ${topics}`);
      // A message that the full pipe does not match still goes out.
      fanOut.subscription(free.pipe, true, bytes("x"));
      assert.equal(fanOut.send([bytes("x1")]), true, `topics ${topics}`);
      assert.deepEqual(received(full, free), [["t1"], ["t1", "x1"]], `topics ${topics}`);
    }
  });

  test("invertMatching: the connected pipes none of whose topics match get the message", () => {
    const fanOut = new FanOut(noListener);
    fanOut.invertMatching = true;
    const news = peer(fanOut);
    const both = peer(fanOut);
    const none = peer(fanOut);
    const away = peer(fanOut, 1000, false);
    fanOut.subscription(news.pipe, true, bytes("news"));
    fanOut.subscription(both.pipe, true, bytes("news"));
    fanOut.subscription(both.pipe, true, bytes("n"));
    for (const message of ["news.x", "n", "sport"]) fanOut.send([bytes(message)]);
    assert.deepEqual(received(news, both, none, away), [
      ["n", "sport"],
      ["sport"],
      ["news.x", "n", "sport"],
      [],
    ]);
  });

  test("invertMatching with noDrop: a full target holds the message back from every target", () => {
    const fanOut = new FanOut(noListener);
    fanOut.invertMatching = true;
    fanOut.noDrop = true;
    const full = peer(fanOut, 1);
    const free = peer(fanOut);
    full.engine.accepting = false;
    assert.equal(fanOut.send([bytes("a")]), true);
    assert.equal(fanOut.send([bytes("b")]), false);
    // Subscribed to "c", the full pipe is no target of "c..." messages.
    fanOut.subscription(full.pipe, true, bytes("c"));
    assert.equal(fanOut.send([bytes("c1")]), true);
    assert.deepEqual(received(full, free), [["a"], ["a", "c1"]]);
  });

  test("a pipe no longer routed to gets nothing, and its subscriptions are gone", () => {
    const fanOut = new FanOut(noListener);
    const gone = peer(fanOut);
    const stays = peer(fanOut);
    for (const { pipe } of [gone, stays]) fanOut.subscription(pipe, true, bytes(""));
    fanOut.detach(gone.pipe);
    fanOut.send([bytes("m")]);
    assert.deepEqual(received(gone, stays), [[], ["m"]]);
  });
});

describe("PipeTrie.collect", () => {
  test("gives the subscriber sets of the message's prefixes, shortest first, and how many", () => {
    const trie = new PipeTrie();
    const [p, q] = [new Pipe(owner, 0, 0), new Pipe(owner, 0, 0)];
    trie.add(bytes(""), p);
    trie.add(bytes("ab"), q);
    trie.add(bytes("abcd"), p);
    const sets: ReadonlySet<Pipe>[] = [];
    assert.equal(trie.collect(bytes("abcde"), sets), 3);
    assert.deepEqual(sets.map((set) => [...set]), [[p], [q], [p]]);
    // Fewer this time: the entries past the count are left as they were, nothing is allocated.
    assert.equal(trie.collect(bytes("abx"), sets), 2);
    assert.equal(sets.length, 3);
    assert.equal(trie.collect(bytes("x"), sets), 1);
    trie.remove(bytes(""), p);
    assert.equal(trie.collect(bytes("x"), sets), 0);
    assert.equal(trie.collect(bytes("a"), sets), 0);
  });
});
