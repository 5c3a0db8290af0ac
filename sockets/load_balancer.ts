import type { Message } from "./message.ts";
import type { Pipe } from "./pipe.ts";

/**
 * Load balancing (libzmq lb.cpp): each whole message goes to the next pipe
 * with room, round robin; a full pipe is skipped until it drains.
 *
 * @example
 * ```ts
 * const balancer = new LoadBalancer();
 * balancer.add(pipe);
 * if (!balancer.send(message)) waitForRoom();
 * ```
 */
export class LoadBalancer {
  readonly #pipes: Pipe[] = [];
  #current = 0;
  /** The pipe the last message went to (a Request awaits its reply from there). */
  lastPipe: Pipe | undefined;

  /** Number of pipes in the rotation. */
  get size(): number {
    return this.#pipes.length;
  }

  /** Adds a pipe to the rotation. */
  add(pipe: Pipe): void {
    this.#pipes.push(pipe);
  }

  /** Removes a pipe from the rotation. */
  remove(pipe: Pipe): void {
    const index = this.#pipes.indexOf(pipe);
    if (index < 0) return;
    this.#pipes.splice(index, 1);
    if (this.#current > index) this.#current--;
    if (this.#current >= this.#pipes.length) this.#current = 0;
  }

  /** Sends to the next pipe with room; false when every pipe is full (or there is none). */
  send(message: Message): boolean {
    const pipes = this.#pipes;
    const count = pipes.length;
    for (let tried = 0; tried < count; tried++) {
      if (this.#current >= count) this.#current = 0;
      const pipe = pipes[this.#current++];
      if (pipe.hasRoom) {
        pipe.send(message);
        this.lastPipe = pipe;
        return true;
      }
    }
    return false;
  }
}
