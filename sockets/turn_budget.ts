import { scheduleAfterTurn } from "../core/scheduler.ts";

/**
 * How many sends a socket that never waits for room (a Publisher) lets a
 * program make in one turn of the event loop before a send waits for the end
 * of that turn.
 *
 * A Publisher's `send` resolves at once, so `for (...) await pub.send(m)`
 * never lets the event loop turn: the messages pile up in the subscribers'
 * queues, which are written (all but the first) only at the end of the
 * turn, and everything past the high-water mark is dropped (one subscriber
 * got 0.5 % of a million messages). libzmq's I/O thread writes while the
 * application sends; here, the send that overspends the budget resolves once
 * this turn's writes are done, and the loop goes on from emptied queues.
 * Nothing changes for a program that sends fewer messages than the budget in
 * a turn, and dropping at the high-water mark stays what it was within a turn.
 *
 * @example
 * ```ts
 * const budget = new TurnBudget();
 * const turnEnd = budget.spend(1000); // undefined until 1000 sends in this turn
 * if (turnEnd !== undefined) await turnEnd;
 * ```
 */
export class TurnBudget {
  #spent = 0;
  #turnEnd: Promise<void> | undefined;
  #resolveTurnEnd: (() => void) | undefined;
  readonly #endTurn = (): void => {
    this.#spent = 0;
    const resolve = this.#resolveTurnEnd;
    this.#turnEnd = undefined;
    this.#resolveTurnEnd = undefined;
    resolve?.();
  };

  /**
   * Counts one send. Returns undefined while this turn has made at most
   * `limit` sends, else a promise that resolves once the turn is over (after
   * the writes the turn's sends scheduled, which were queued before it).
   */
  spend(limit: number): Promise<void> | undefined {
    if (this.#spent++ === 0) scheduleAfterTurn(this.#endTurn);
    if (this.#spent <= limit) return undefined;
    this.#turnEnd ??= new Promise((resolve) => (this.#resolveTurnEnd = resolve));
    return this.#turnEnd;
  }
}
