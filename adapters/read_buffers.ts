/**
 * The memory an adapter reads into, for runtimes that let it choose (Deno's
 * `conn.read`, Node's `onread` on sockets it dials).
 *
 * @module
 */
import type { ConnectionHandler } from "../core/transport.ts";

/** Most bytes asked of one read: large enough for bulk transfers, one syscall per 64 KiB. */
const READ_SIZE = 64 * 1024;
/**
 * Fewest bytes asked of one read. A pending read holds its buffer for as long as the
 * connection is idle, so reads start small and grow while they come back full: ten thousand
 * quiet connections must not pin 64 KiB each.
 */
const MIN_READ_SIZE = 2 * 1024;
/**
 * Reads up to this size are copied out into an exact-size chunk and the read
 * buffer is reused: the handler may keep views of its chunks (zero-copy
 * frames), and a 20-byte message must not pin a 64 KiB buffer.
 */
const COPY_LIMIT = 16 * 1024;
/**
 * The rest of a frame the handler is assembling is read straight into its
 * buffer when at least this much of it is missing; a smaller rest comes with
 * the next ordinary read and is copied, which costs less than a read of its own.
 */
const READ_IN_PLACE_MIN = 16 * 1024;

/**
 * Chooses the buffer of each read and turns what was read into the chunk the
 * handler owns. The chunk is never memory the adapter reads into again: a
 * small read is copied out and its buffer reused, a large one is handed over
 * with its buffer, and the rest of a large frame is read into the frame
 * itself (`ConnectionHandler.readTarget`), which the handler then takes
 * without copying.
 *
 * @example
 * ```ts
 * const buffers = new ReadBuffers((size) => new Uint8Array(size));
 * const buffer = buffers.next(handler);
 * const count = await conn.read(buffer);
 * if (count !== null) handler.data(buffers.filled(buffer, count));
 * ```
 */
export class ReadBuffers {
  #allocate: (size: number) => Uint8Array;
  /** A read buffer whose bytes were copied out, reused by the next read. */
  #spare: Uint8Array | undefined;
  /** Size of the next read buffer: doubles after a full read, halves after a nearly empty one. */
  #size = MIN_READ_SIZE;
  /** Whether the last buffer given out is the handler's own (`readTarget`). */
  #inPlace = false;

  /** @param allocate makes uninitialised memory of `size` bytes, for reads and their copies. */
  constructor(allocate: (size: number) => Uint8Array) {
    this.#allocate = allocate;
  }

  /**
   * The buffer the next read fills: the handler's read target when enough of
   * a frame is missing, else a reused or fresh buffer of the current size.
   * Pass undefined as the handler when only the end of stream matters.
   */
  next(handler: ConnectionHandler | undefined): Uint8Array {
    const target = handler?.readTarget?.();
    this.#inPlace = target !== undefined && target.length >= READ_IN_PLACE_MIN;
    if (this.#inPlace) return target!;
    const buffer = this.#spare ?? this.#allocate(this.#size);
    this.#spare = undefined;
    return buffer;
  }

  /** The chunk for the handler, once `count` bytes were read into `buffer`, the last from `next`. */
  filled(buffer: Uint8Array, count: number): Uint8Array {
    // The handler's own memory: it knows these bytes are in place.
    if (this.#inPlace) return buffer.subarray(0, count);
    const size = this.#size;
    if (count === buffer.length) this.#size = Math.min(READ_SIZE, size * 2);
    else if (count < buffer.length / 8) this.#size = Math.max(MIN_READ_SIZE, size / 2);
    // The handler owns a large read's buffer from now on; the next read gets a fresh one.
    if (count > COPY_LIMIT) return buffer.subarray(0, count);
    const chunk = this.#allocate(count);
    chunk.set(buffer.subarray(0, count));
    if (buffer.length === this.#size) this.#spare = buffer;
    return chunk;
  }
}
