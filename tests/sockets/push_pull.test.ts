// Push and Pull semantics beyond the RFC tests: full peers skipped, the high-water marks, conflate,
// the refused directions.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ZmqError } from "../../core/errors.ts";
import { Pair } from "../../sockets/pair.ts";
import { Pull } from "../../sockets/pull.ts";
import { Push } from "../../sockets/push.ts";
import { Reply } from "../../sockets/reply.ts";
import { Request } from "../../sockets/request.ts";
import { bindAddress, connectReady, text } from "../fixtures/sockets.ts";

/** Sends until the Push reports EAGAIN (sendTimeout 0) and returns how many went. */
async function sendUntilFull(push: Push): Promise<number> {
  for (let sent = 0;; sent++) {
    try {
      await push.send(String(sent));
    } catch (error) {
      assert.equal((error as ZmqError).code, "EAGAIN");
      return sent;
    }
  }
}

describe("Push", () => {
  test("sends each whole message to the next peer with room; a full peer is skipped", async () => {
    const push = new Push({ sendHighWaterMark: 1 });
    // The middle Pull holds one message and stops taking more; the others take everything.
    const pulls = [new Pull(), new Pull({ receiveHighWaterMark: 1 }), new Pull()];
    try {
      await push.bind(bindAddress("inproc", "push-skip"));
      for (const pull of pulls) await connectReady(push, pull);
      for (let i = 0; i < 9; i++) await push.send([`${i}`, "second frame"]);
      // Round robin 0,1,2,0,1,2,0 then the middle pipe is full (one message in the Pull, one
      // queued for it): 7 and 8 skip it.
      const expected = [["0", "3", "6", "8"], ["1", "4"], ["2", "5", "7"]];
      for (const [p, pull] of pulls.entries()) {
        const got: string[] = [];
        for (let i = 0; i < expected[p].length; i++) {
          const [index, second] = await pull.receive();
          assert.equal(text(second), "second frame");
          got.push(text(index));
        }
        assert.deepEqual(got, expected[p]);
      }
    } finally {
      push.close();
      for (const pull of pulls) pull.close();
    }
  });

  test("holds exactly sndhwm + rcvhwm messages over inproc, then EAGAIN; a waiting send goes once the Pull reads", async () => {
    const push = new Push({ sendHighWaterMark: 3, sendTimeout: 0 });
    const pull = new Pull({ receiveHighWaterMark: 2 });
    try {
      await pull.bind(bindAddress("inproc", "push-hwm"));
      await connectReady(pull, push);
      assert.equal(await sendUntilFull(push), 5);
      push.sendTimeout = -1;
      let late = false;
      const waiting = push.send("late").then(() => late = true);
      for (let i = 0; i < 5; i++) assert.equal(text((await pull.receive())[0]), String(i));
      await waiting;
      assert.ok(late);
      assert.equal(text((await pull.receive())[0]), "late");
    } finally {
      push.close();
      pull.close();
    }
  });

  test("queues for a connect()ed peer before it is reached", async () => {
    const where = bindAddress("inproc", "push-early");
    const push = new Push({ sendTimeout: 0 });
    const pull = new Pull();
    try {
      push.connect(where);
      await push.send("early");
      await pull.bind(where);
      assert.equal(text((await pull.receive())[0]), "early");
    } finally {
      push.close();
      pull.close();
    }
  });

  test("cannot receive: rejected by the type and, from JavaScript, with ENOTSUP", async () => {
    const push = new Push();
    try {
      // @ts-expect-error: a Push has no receive direction.
      const received = push.receive();
      await assert.rejects(received, {
        name: "ZmqError",
        code: "ENOTSUP",
        message: "a PUSH socket cannot receive",
      });
      assert.equal(Symbol.asyncIterator in push, false);
    } finally {
      push.close();
    }
  });
});

describe("Pull", () => {
  test("cannot send: rejected by the type and, from JavaScript, with ENOTSUP", async () => {
    const pull = new Pull();
    try {
      // @ts-expect-error: a Pull has no send direction.
      const sent = pull.send("hello");
      await assert.rejects(sent, {
        name: "ZmqError",
        code: "ENOTSUP",
        message: "a PULL socket cannot send",
      });
    } finally {
      pull.close();
    }
  });

  test("iterates over messages until it is closed", async () => {
    const pull = new Pull();
    const push = new Push();
    try {
      await pull.bind(bindAddress("inproc", "pull-iterate"));
      await connectReady(pull, push);
      for (const word of ["a", "b", "c"]) await push.send(word);
      const got: string[] = [];
      for await (const [frame] of pull) {
        got.push(text(frame));
        if (got.length === 3) pull.close();
      }
      assert.deepEqual(got, ["a", "b", "c"]);
    } finally {
      pull.close();
      push.close();
    }
  });
});

describe("conflate (ZMQ_CONFLATE)", () => {
  test("a Pull keeps only the newest message (inproc)", async () => {
    const pull = new Pull({ conflate: true, receiveTimeout: 0 });
    const push = new Push();
    try {
      assert.equal(pull.conflate, true);
      await pull.bind(bindAddress("inproc", "conflate-pull"));
      await connectReady(pull, push);
      for (let i = 1; i <= 5; i++) await push.send(String(i));
      assert.equal(text((await pull.receive())[0]), "5");
      await assert.rejects(pull.receive(), { code: "EAGAIN" });
    } finally {
      pull.close();
      push.close();
    }
  });

  test("a Pull keeps only the newest message (tcp)", async () => {
    const pull = new Pull({ conflate: true, receiveTimeout: 0 });
    const push = new Push();
    try {
      await pull.bind(bindAddress("tcp", "conflate-pull"));
      await connectReady(pull, push);
      for (let i = 1; i <= 5; i++) await push.send(String(i));
      // The Push closes once its messages are written, and its data precedes its FIN: after the
      // disconnect every message has arrived.
      const gone = pull.events.next("disconnect");
      push.close();
      await gone;
      assert.equal(text((await pull.receive())[0]), "5");
      await assert.rejects(pull.receive(), { code: "EAGAIN" });
    } finally {
      pull.close();
      push.close();
    }
  });

  test("a Push keeps only the newest message queued for a peer not reached yet", async () => {
    const where = bindAddress("inproc", "conflate-push");
    const push = new Push({ conflate: true });
    const pull = new Pull({ receiveTimeout: 0 });
    try {
      push.connect(where);
      for (let i = 1; i <= 5; i++) await push.send(String(i));
      await pull.bind(where);
      assert.equal(text((await pull.receive())[0]), "5");
      await assert.rejects(pull.receive(), { code: "EAGAIN" });
    } finally {
      push.close();
      pull.close();
    }
  });

  test("is refused on the types libzmq does not conflate", () => {
    for (const Type of [Pair, Request, Reply]) {
      assert.throws(() => new Type({ conflate: true } as object), { code: "ENOTSUP" });
    }
  });
});
