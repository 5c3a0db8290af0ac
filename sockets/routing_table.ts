import { fromAscii } from "../core/bytes.ts";
import type { Pipe } from "./pipe.ts";

/**
 * The peers of a socket that routes by routing id (Router, Stream): which
 * pipe each id leads to, and new ids made as libzmq makes them — 5 bytes,
 * `00` then a 32-bit counter that starts at a random value.
 *
 * @example
 * ```ts
 * const table = new RoutingTable();
 * table.add(table.generate(), pipe);
 * table.get(pipe.routingId!); // pipe
 * ```
 */
export class RoutingTable {
  readonly #pipes = new Map<string, Pipe>();
  #next = (Math.random() * 0x100000000) >>> 0;

  /** The pipe `id` leads to, if any. */
  get(id: Uint8Array): Pipe | undefined {
    return this.#pipes.get(key(id));
  }

  /** Whether `id` leads to a pipe. */
  has(id: Uint8Array): boolean {
    return this.#pipes.has(key(id));
  }

  /** Routes `id` to `pipe`, which is known by it from now on. */
  add(id: Uint8Array, pipe: Pipe): void {
    pipe.routingId = id;
    this.#pipes.set(key(id), pipe);
  }

  /**
   * Stops routing to `pipe`; returns whether it was routed to. The pipe
   * keeps its id, so messages it delivered before are still read with it.
   */
  remove(pipe: Pipe): boolean {
    const id = pipe.routingId;
    if (id === undefined || this.#pipes.get(key(id)) !== pipe) return false;
    this.#pipes.delete(key(id));
    return true;
  }

  /** A new id, skipping those in use and those `reserved` says are promised elsewhere. */
  generate(reserved?: (id: Uint8Array) => boolean): Uint8Array {
    for (;;) {
      const value = this.#next;
      this.#next = (value + 1) >>> 0;
      const id = new Uint8Array([
        0,
        value >>> 24,
        (value >>> 16) & 0xff,
        (value >>> 8) & 0xff,
        value & 0xff,
      ]);
      if (!this.has(id) && reserved?.(id) !== true) return id;
    }
  }
}

/** Map key of an id: one char per byte, so any bytes compare exactly. */
function key(id: Uint8Array): string {
  return fromAscii(id);
}
