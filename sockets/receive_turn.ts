import { ZmqError } from "../core/errors.ts";
import type { Message } from "./message.ts";

/**
 * The receive side of a strict request/reply socket (Request, Reply): one
 * `receive` at a time, and only when the state machine allows it; anything
 * else rejects with EFSM, as libzmq's REQ and REP do. Concurrent receives
 * are refused rather than queued because a second one is always out of turn.
 *
 * @example
 * ```ts
 * const turn = new ReceiveTurn("a REP socket is already waiting for a request");
 * const outOfTurn = holding ? "send the reply first" : undefined;
 * return turn.receive(outOfTurn, () => this.receiveMessage(options));
 * // in xReceive, once a message is taken: turn.taken();
 * ```
 */
export class ReceiveTurn {
  readonly #busy: string;
  #waiting = false;
  /** One handler for every failed wait, so a receive allocates no closure for it. */
  readonly #failed = (): void => {
    this.#waiting = false;
  };

  /** @param busy the EFSM message for a receive while another waits. */
  constructor(busy: string) {
    this.#busy = busy;
  }

  /**
   * Runs `receive` if it is this socket's turn: rejects with EFSM while
   * another receive waits, or with `outOfTurn` as the message when given.
   */
  receive(outOfTurn: string | undefined, receive: () => Promise<Message>): Promise<Message> {
    if (this.#waiting) return Promise.reject(new ZmqError("EFSM", this.#busy));
    if (outOfTurn !== undefined) return Promise.reject(new ZmqError("EFSM", outOfTurn));
    // Cleared by taken() when the message is taken, or here when the wait fails.
    this.#waiting = true;
    const received = receive();
    received.then(undefined, this.#failed);
    return received;
  }

  /** The waiting receive got its message. */
  taken(): void {
    this.#waiting = false;
  }
}
