/**
 * adapters/deno/delivery_budget.ts: how many bytes pass in one turn of the
 * event loop, and that the next turn starts afresh. The module uses only
 * `node:timers`, so it runs on every runtime; the Deno adapter's use of it is
 * covered by tests/adapters/transport.test.ts ("32 connections ...").
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DeliveryBudget } from "../../adapters/deno/delivery_budget.ts";

const MIB = 1024 * 1024;

describe("DeliveryBudget", () => {
  test("passes reads until a turn has taken 1 MiB, then none until the next turn", async () => {
    const budget = new DeliveryBudget();
    for (let i = 0; i < 16; i++) assert.equal(budget.take(64 * 1024), true, `read ${i}`);
    assert.equal(budget.take(1), false);
    assert.equal(budget.take(64 * 1024), false, "still this turn");
    await budget.nextTurn();
    assert.equal(budget.take(64 * 1024), true, "a new turn");
  });

  test("the first read of a turn passes however large", async () => {
    const budget = new DeliveryBudget();
    assert.equal(budget.take(4 * MIB), true);
    assert.equal(budget.take(1), false);
    await budget.nextTurn();
    assert.equal(budget.take(4 * MIB), true);
  });

  test("a turn without reads leaves the next one its whole budget", async () => {
    const budget = new DeliveryBudget();
    assert.equal(budget.take(MIB - 1), true);
    await budget.nextTurn();
    await budget.nextTurn();
    assert.equal(budget.take(MIB - 1), true);
    assert.equal(budget.take(1), true, "one byte short of the budget, so one more read passes");
    assert.equal(budget.take(1), false);
  });

  test("reads below a quarter of the budget mark no turn's end, so their count carries over", async () => {
    const budget = new DeliveryBudget();
    assert.equal(budget.take(200 * 1024), true);
    await budget.nextTurn();
    // 200 KiB from the turn before + 900 KiB: the budget is spent.
    assert.equal(budget.take(900 * 1024), true);
    assert.equal(budget.take(1), false);
    await budget.nextTurn();
    assert.equal(budget.take(1), true, "crossing a quarter marked the end of that turn");
  });
});
