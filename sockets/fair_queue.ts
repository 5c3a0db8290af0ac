import type { Message } from "./message.ts";
import type { Pipe } from "./pipe.ts";

/**
 * Fair queueing (libzmq fq.cpp): one message from each pipe that has data, in
 * turn, so a busy peer cannot starve the others. The active pipes live in
 * the first `count` slots of an array that never shrinks, so a pipe that
 * empties and fills again at every message (request/reply) costs no
 * allocation.
 *
 * @example
 * ```ts
 * const queue = new FairQueue();
 * queue.readable(pipe);             // when the pipe's inbound queue fills
 * const message = queue.read();     // the next message, round robin
 * ```
 */
export class FairQueue {
  readonly #active: (Pipe | undefined)[] = [];
  #count = 0;
  #current = 0;
  /** The pipe the last message came from. */
  lastPipe: Pipe | undefined;

  /** A pipe has inbound messages. */
  readable(pipe: Pipe): void {
    const active = this.#active;
    for (let i = 0; i < this.#count; i++) if (active[i] === pipe) return;
    active[this.#count++] = pipe;
  }

  /** Forgets a pipe at once, dropping it from the rotation. */
  remove(pipe: Pipe): void {
    const active = this.#active;
    for (let i = 0; i < this.#count; i++) {
      if (active[i] === pipe) return this.#removeAt(i);
    }
  }

  /** Takes the next message in turn, or undefined when no pipe has one. */
  read(): Message | undefined {
    const active = this.#active;
    while (this.#count > 0) {
      if (this.#current >= this.#count) this.#current = 0;
      const pipe = active[this.#current]!;
      const message = pipe.read();
      if (pipe.inbound.length === 0) {
        this.#removeAt(this.#current);
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

  #removeAt(index: number): void {
    const active = this.#active;
    const last = --this.#count;
    for (let i = index; i < last; i++) active[i] = active[i + 1];
    active[last] = undefined;
    if (this.#current > index) this.#current--;
    if (this.#current >= this.#count) this.#current = 0;
  }
}
