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
 * Read buffers up to this size are shared by consecutive reads: each read
 * fills the part after the one before and is handed over as a view, so that
 * a stream of small messages (requests, replies) costs no allocation per
 * read, and a message the handler keeps pins at most this much.
 */
const SHARED_LIMIT = 4 * 1024;
/**
 * From larger buffers, reads up to this size are copied out into an
 * exact-size chunk and the buffer is reused: the handler may keep views of
 * its chunks (zero-copy frames), and a 20-byte message must not pin a 64 KiB
 * buffer.
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
 * handler owns. The chunk is never memory the adapter reads into again. While
 * reads are small, they fill one buffer of at most `SHARED_LIMIT` bytes one
 * after the other and each is handed over as a view; a small read into a
 * larger buffer is copied out and the buffer reused; a large read is handed
 * over with its buffer; and the rest of a large frame is read into the frame
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
  /** The buffer the last read went into, when later reads may use the rest of it. */
  #current: Uint8Array | undefined;
  /** Where the unread part of `#current` starts. */
  #offset = 0;
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
   * a frame is missing, else the rest of the current buffer while it is at
   * least half the read size, else a fresh buffer of the read size.
   * Pass undefined as the handler when only the end of stream matters.
   */
  next(handler: ConnectionHandler | undefined): Uint8Array {
    const target = handler?.readTarget?.();
    this.#inPlace = target !== undefined && target.length >= READ_IN_PLACE_MIN;
    if (this.#inPlace) return target!;
    const current = this.#current;
    if (current !== undefined && current.length - this.#offset >= this.#size / 2) {
      return this.#offset === 0 ? current : current.subarray(this.#offset);
    }
    this.#current = this.#allocate(this.#size);
    this.#offset = 0;
    return this.#current;
  }

  /** The chunk for the handler, once `count` bytes were read into `buffer`, the last from `next`. */
  filled(buffer: Uint8Array, count: number): Uint8Array {
    // The handler's own memory: it knows these bytes are in place.
    if (this.#inPlace) return buffer.subarray(0, count);
    const size = this.#size;
    if (count >= size) this.#size = Math.min(READ_SIZE, size * 2);
    else if (count < size / 8) this.#size = Math.max(MIN_READ_SIZE, size / 2);
    const current = this.#current!;
    if (current.length <= SHARED_LIMIT) {
      // Later reads go after this one: the handler's view is never read into again.
      this.#offset += count;
      return buffer.subarray(0, count);
    }
    if (count > COPY_LIMIT) {
      // The handler owns a large read's buffer from now on; the next read gets a fresh one.
      this.#current = undefined;
      return buffer.subarray(0, count);
    }
    const chunk = this.#allocate(count);
    chunk.set(buffer.subarray(0, count));
    // Reused by the next read, from its start, if it still has the read size.
    if (current.length !== this.#size) this.#current = undefined;
    return chunk;
  }
}
