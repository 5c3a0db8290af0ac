// Routing strategies on real pipes, without connections: exact, deterministic counts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FairQueue } from "../../sockets/fair_queue.ts";
import { LoadBalancer } from "../../sockets/load_balancer.ts";
import type { Message } from "../../sockets/message.ts";
import { Pipe, type PipeEngine, type PipeOwner } from "../../sockets/pipe.ts";

const encoder = new TextEncoder();
const text = (message: Message | undefined): string => new TextDecoder().decode(message![0]);

function owner(): PipeOwner & { readable: Pipe[]; writable: Pipe[] } {
  const readable: Pipe[] = [];
  const writable: Pipe[] = [];
  return {
    readable,
    writable,
    pipeReadable: (pipe) => readable.push(pipe),
    pipeWritable: (pipe) => writable.push(pipe),
  };
}

describe("FairQueue", () => {
  test("takes one message from each pipe in turn: a busy pipe cannot starve the others", () => {
    const queue = new FairQueue();
    const events = owner();
    const busy = new Pipe(events, 1000, 1000);
    const quiet = new Pipe(events, 1000, 1000);
    for (let i = 0; i < 100; i++) busy.deliver([encoder.encode(`b${i}`)]);
    quiet.deliver([encoder.encode("q0")]);
    quiet.deliver([encoder.encode("q1")]);
    for (const pipe of events.readable) queue.readable(pipe);
    const order = [text(queue.read()), text(queue.read()), text(queue.read()), text(queue.read())];
    assert.deepEqual(order, ["b0", "q0", "b1", "q1"]);
    assert.equal(text(queue.read()), "b2");
    assert.equal(queue.lastPipe, busy);
  });

  test("a pipe removed leaves the rotation; an empty queue reads undefined", () => {
    const queue = new FairQueue();
    const events = owner();
    const a = new Pipe(events, 0, 0);
    const b = new Pipe(events, 0, 0);
    a.deliver([encoder.encode("a")]);
    b.deliver([encoder.encode("b")]);
    queue.readable(a);
    queue.readable(b);
    queue.remove(a);
    assert.equal(text(queue.read()), "b");
    assert.equal(queue.read(), undefined);
  });
});

describe("LoadBalancer", () => {
  test("round robin over pipes with room: each gets exactly a third", () => {
    const balancer = new LoadBalancer();
    const events = owner();
    const pipes = [
      new Pipe(events, 1000, 1000),
      new Pipe(events, 1000, 1000),
      new Pipe(events, 1000, 1000),
    ];
    for (const pipe of pipes) balancer.add(pipe);
    for (let i = 0; i < 300; i++) assert.ok(balancer.send([encoder.encode(String(i))]));
    assert.deepEqual(pipes.map((pipe) => pipe.outbound.length), [100, 100, 100]);
    assert.equal(text(pipes[1].outbound.peek()), "1");
  });

  test("a full pipe is skipped; with all full, send reports false", () => {
    const balancer = new LoadBalancer();
    const events = owner();
    const small = new Pipe(events, 2, 0);
    const large = new Pipe(events, 10, 0);
    balancer.add(small);
    balancer.add(large);
    let sent = 0;
    while (balancer.send([encoder.encode("x")])) sent++;
    assert.equal(sent, 12);
    assert.equal(small.outbound.length, 2);
    assert.equal(large.outbound.length, 10);
  });

  test("a full pipe reports room again at its low-water mark, once, after the messages moved", () => {
    const events = owner();
    const pipe = new Pipe(events, 4, 0);
    for (let i = 0; i < 4; i++) pipe.send([encoder.encode(String(i))]);
    assert.equal(pipe.hasRoom, false);
    const written: string[] = [];
    let room = 1;
    const engine = {
      get accepting() {
        return room > 0;
      },
      write: () => assert.fail("a queued message is written as queued"),
      writeQueued: (message: Message) => {
        room--;
        // Room is never reported while messages are still moving: note what had been reported.
        written.push(`${text(message)}:${events.writable.length}`);
      },
      pull: () => {},
      setReading: () => {},
      sendSubscription: () => {},
    };
    pipe.flushTo(engine);
    assert.deepEqual(events.writable, []);
    room = 1;
    pipe.flushTo(engine);
    // (4 + 1) / 2 = 2 left: room again, reported once.
    assert.deepEqual(events.writable, [pipe]);
    room = 5;
    pipe.flushTo(engine);
    assert.equal(events.writable.length, 1);
    assert.deepEqual(written, ["0:0", "1:0", "2:1", "3:1"]);
  });
});

describe("Pipe inbound high-water mark", () => {
  test("reading pauses at the mark and resumes at the low-water mark", () => {
    const events = owner();
    const pipe = new Pipe(events, 0, 4);
    const reading: boolean[] = [];
    pipe.attach({
      accepting: false,
      write: () => {},
      writeQueued: () => {},
      pull: () => {},
      setReading: (value) => reading.push(value),
      sendSubscription: () => {},
    });
    for (let i = 0; i < 4; i++) pipe.deliver([encoder.encode(String(i))]);
    assert.deepEqual(reading, [false]);
    pipe.read();
    assert.deepEqual(reading, [false]);
    pipe.read();
    assert.deepEqual(reading, [false, true]);
  });
});

describe("Pipe with a high-water mark of 1", () => {
  test("reports room only once its one queued message has moved", () => {
    const events = owner();
    const pipe = new Pipe(events, 1, 0);
    pipe.send([encoder.encode("a")]);
    assert.equal(pipe.hasRoom, false);
    const closed = {
      accepting: false,
      write: () => {},
      writeQueued: () => {},
      pull: () => {},
      setReading: () => {},
      sendSubscription: () => {},
    };
    pipe.flushTo(closed);
    assert.deepEqual(events.writable, []);
    pipe.flushTo({ ...closed, accepting: true });
    assert.deepEqual(events.writable, [pipe]);
  });
});

describe("Pipe", () => {
  /** An engine that takes `budget` more messages, then none. */
  function engineTaking(budget: { left: number }): PipeEngine & { taken: number } {
    return {
      taken: 0,
      get accepting() {
        return budget.left > 0;
      },
      write() {
        assert.fail("a queued message is written as queued");
      },
      writeQueued() {
        budget.left--;
        this.taken++;
      },
      pull() {},
      setReading() {},
      sendSubscription() {},
    };
  }

  test("once full, has no room until it drained to the low-water mark, as libzmq's writer sees it", () => {
    const events = owner();
    const pipe = new Pipe(events, 10, 10);
    for (let i = 0; i < 10; i++) pipe.send([encoder.encode(`m${i}`)]);
    assert.equal(pipe.hasRoom, false);
    const budget = { left: 1 };
    const engine = engineTaking(budget);
    pipe.flushTo(engine);
    // 9 queued, under the mark of 10, but a sender that gave up waiting must not slip in.
    assert.equal(pipe.outbound.length, 9);
    assert.equal(pipe.hasRoom, false);
    assert.deepEqual(events.writable, []);
    budget.left = 3;
    pipe.flushTo(engine);
    assert.equal(pipe.outbound.length, 6);
    assert.equal(pipe.hasRoom, false);
    budget.left = 1;
    pipe.flushTo(engine);
    // 5 queued: the low-water mark, (10 + 1) / 2 rounded down.
    assert.equal(pipe.outbound.length, 5);
    assert.equal(pipe.hasRoom, true);
    assert.deepEqual(events.writable, [pipe]);
    assert.equal(engine.taken, 5);
  });

  test("never full without a high-water mark", () => {
    const pipe = new Pipe(owner(), 0, 0);
    for (let i = 0; i < 10_000; i++) pipe.send([encoder.encode("m")]);
    assert.equal(pipe.hasRoom, true);
  });
});
