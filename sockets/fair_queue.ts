import type { Message } from "./message.ts";
import type { Pipe } from "./pipe.ts";

/**
 * Fair queueing (libzmq fq.cpp): one message from each pipe that has data, in
 * turn, so a busy peer cannot starve the others.
 *
 * @example
 * ```ts
 * const queue = new FairQueue();
 * queue.readable(pipe);             // when the pipe's inbound queue fills
 * const message = queue.read();     // the next message, round robin
 * ```
 */
export class FairQueue {
  readonly #active: Pipe[] = [];
  #current = 0;
  /** The pipe the last message came from. */
  lastPipe: Pipe | undefined;

  /** A pipe has inbound messages. */
  readable(pipe: Pipe): void {
    if (!this.#active.includes(pipe)) this.#active.push(pipe);
  }

  /** Forgets a pipe at once, dropping it from the rotation. */
  remove(pipe: Pipe): void {
    const index = this.#active.indexOf(pipe);
    if (index < 0) return;
    this.#active.splice(index, 1);
    if (this.#current > index) this.#current--;
    if (this.#current >= this.#active.length) this.#current = 0;
  }

  /** Takes the next message in turn, or undefined when no pipe has one. */
  read(): Message | undefined {
    const active = this.#active;
    while (active.length > 0) {
      if (this.#current >= active.length) this.#current = 0;
      const pipe = active[this.#current];
      const message = pipe.read();
      if (pipe.inbound.length === 0) {
        active.splice(this.#current, 1);
      } else {
        this.#current++;
      }
      if (message !== undefined) {
        this.lastPipe = pipe;
        return message;
      }
    }
    return undefined;
  }
}
