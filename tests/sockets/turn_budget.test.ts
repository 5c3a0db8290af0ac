// A socket that never waits for room (a Publisher) must still let a send loop's messages out:
// past a turn's budget of sends, a send resolves once that turn's writes are done.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import "../../mod.ts";
import { scheduleAfterTurn } from "../../core/scheduler.ts";
import { Publisher } from "../../sockets/publisher.ts";
import { Subscriber } from "../../sockets/subscriber.ts";
import { TurnBudget } from "../../sockets/turn_budget.ts";
import { skipProbes, untilSubscribed } from "../fixtures/security.ts";

describe("TurnBudget", () => {
  test("spends the limit freely, then waits for the end of the turn, after its earlier tasks", async () => {
    const budget = new TurnBudget();
    const order: string[] = [];
    scheduleAfterTurn(() => order.push("write"));
    assert.equal(budget.spend(3), undefined);
    assert.equal(budget.spend(3), undefined);
    assert.equal(budget.spend(3), undefined);
    const turnEnd = budget.spend(3);
    assert.ok(turnEnd instanceof Promise, "the fourth send of the turn waits");
    assert.equal(budget.spend(3), turnEnd, "one promise serves the rest of the turn");
    await turnEnd;
    order.push("resumed");
    assert.deepEqual(order, ["write", "resumed"]);
    assert.equal(budget.spend(3), undefined, "a new turn starts a new count");
  });
});

describe("a Publisher's send loop", () => {
  test("lets its messages out each turn instead of dropping past the high-water mark", async () => {
    const COUNT = 20_000;
    const publisher = new Publisher();
    const subscriber = new Subscriber();
    try {
      await publisher.bind("tcp://127.0.0.1:0");
      subscriber.connect(publisher.lastEndpoint!);
      subscriber.subscribe("");
      await untilSubscribed(() => publisher.send("probe"), subscriber.receive());
      await publisher.send("start");
      await skipProbes(() => subscriber.receive(), "probe", ["start"]);

      let received = 0;
      let last = -1;
      const receiving = (async () => {
        for await (const [frame] of subscriber) {
          const n = new DataView(frame.buffer, frame.byteOffset).getUint32(0);
          if (n === 0xffffffff) return;
          assert.ok(n > last, `in order: ${n} after ${last} (${received} received)`);
          last = n;
          received++;
        }
      })();
      // A new buffer per message: a queued message is encoded when it is written, not copied
      // when send() resolves.
      const numbered = (n: number): Uint8Array => {
        const message = new Uint8Array(64);
        new DataView(message.buffer).setUint32(0, n);
        return message;
      };
      for (let n = 0; n < COUNT; n++) await publisher.send(numbered(n));
      // The end marker may be dropped too if the subscriber is still full: send until it lands.
      await untilSubscribed(() => publisher.send(numbered(0xffffffff)), receiving);
      // Without the budget the whole loop ran in one turn and the subscriber got the high-water
      // mark's worth (about 1,000 of 20,000, 5 %); with it each turn's thousand is written out.
      assert.ok(received > COUNT / 2, `received ${received} of ${COUNT}`);
    } finally {
      subscriber.close();
      publisher.close();
    }
  });
});
