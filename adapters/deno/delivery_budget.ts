/**
 * How many bytes the Deno adapter's connections hand to their handlers in
 * one turn of the event loop.
 *
 * @module
 */
import { setImmediate } from "node:timers";

/**
 * Bytes delivered in one turn before further reads wait for the next: about
 * a core's L2 cache, which holds them and the messages decoded from them.
 */
const BYTES_PER_TURN = 1024 * 1024;
/**
 * Bytes counted before a turn's end is marked (an immediate that resets the
 * count). Reads of a request and its reply never schedule one; a turn may
 * then start with up to this much counted from earlier ones.
 */
const COUNT_FROM = BYTES_PER_TURN / 4;

/**
 * Deno settles the reads that completed together in one batch and only then
 * runs the JavaScript waiting on them, so with many busy connections every
 * chunk of the batch was decoded before the first one's messages were
 * consumed, and by then they had left the CPU's caches: a Subscriber
 * process of 100 connections spent half its time on those misses. Past
 * `BYTES_PER_TURN` in one turn, a completed read waits for the next turn
 * (an immediate, which Deno does not clamp the way it clamps nested
 * timers), so that what was delivered is consumed first. A single busy
 * connection is never held back: it completes one read per turn, and the
 * first delivery of a turn always passes.
 *
 * @example
 * ```ts
 * while (!deliveryBudget.take(count)) await deliveryBudget.nextTurn();
 * handler.data(chunk);
 * ```
 */
export class DeliveryBudget {
  #bytes = 0;
  #resetScheduled = false;
  readonly #reset = (): void => {
    this.#bytes = 0;
    this.#resetScheduled = false;
  };

  /** Counts `bytes` as delivered in this turn if the turn has room left; false if not. */
  take(bytes: number): boolean {
    // Past COUNT_FROM a reset is always scheduled, so a reader turned away gets through.
    if (this.#bytes >= BYTES_PER_TURN) return false;
    this.#bytes += bytes;
    if (this.#bytes >= COUNT_FROM && !this.#resetScheduled) {
      this.#resetScheduled = true;
      setImmediate(this.#reset);
    }
    return true;
  }

  /** Resolves in the next turn of the event loop. */
  nextTurn(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }
}

/** The budget every connection of the process shares. */
export const deliveryBudget: DeliveryBudget = new DeliveryBudget();
