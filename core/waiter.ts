import type { ZmqError } from "./errors.ts";

/**
 * One caller waiting for something (room to send, a message to receive),
 * with an optional time limit and AbortSignal. It settles once: whichever of
 * resolve, reject, the timeout or the abort comes first wins, and the others
 * do nothing. Queues hold waiters and skip the settled ones.
 *
 * @example
 * ```ts
 * const waiter = new Waiter<Message>(1000, signal, (ms) => new ZmqError("EAGAIN", `no message within ${ms} ms`));
 * queue.push(waiter);
 * return waiter.promise;
 * ```
 */
export class Waiter<T> {
  /** Settles with the value, the error, the timeout or the abort reason. */
  readonly promise: Promise<T>;
  #settled = false;
  #resolve!: (value: T) => void;
  #reject!: (error: unknown) => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;

  /**
   * @param timeout milliseconds before rejecting with `timeoutError()`; negative for none.
   * @param signal rejects with its reason when aborted.
   * @param timeoutError makes the error for an expired timeout, from the timeout (a function
   *   shared by every waiter of a kind, so that a wait without a time limit allocates no closure).
   */
  constructor(
    timeout: number,
    signal: AbortSignal | undefined,
    timeoutError: (timeout: number) => ZmqError,
  ) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    if (timeout >= 0) this.#timer = setTimeout(() => this.reject(timeoutError(timeout)), timeout);
    if (signal !== undefined) {
      this.#signal = signal;
      this.#onAbort = () => this.reject(signal.reason);
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
  }

  /** Whether the waiter has settled (and should be skipped). */
  get settled(): boolean {
    return this.#settled;
  }

  /** Settles with a value, unless already settled. */
  resolve(value: T): void {
    if (this.#settle()) this.#resolve(value);
  }

  /** Settles with an error, unless already settled. */
  reject(error: unknown): void {
    if (this.#settle()) this.#reject(error);
  }

  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#onAbort !== undefined) this.#signal!.removeEventListener("abort", this.#onAbort);
    return true;
  }
}
