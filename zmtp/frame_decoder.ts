import { protocolError, ZmqError } from "../core/errors.ts";
import { COMMAND, LONG, MORE } from "./frame.ts";

/** Receives decoded frames. Returning false stops decoding (the connection is going away). */
export interface FrameSink {
  /** One frame: `flags` is MORE and/or COMMAND (other bits cleared); `body` may be a view. */
  frame(flags: number, body: Uint8Array): boolean;
}

/** Allocates the body of a frame that spans reads. */
export type Allocate = (size: number) => Uint8Array;

/** The largest frame we can hold at all, whatever `maxMessageSize` says. */
const LARGEST_FRAME = 0x7fffffff;
/**
 * Frames above this size that span reads are gathered piece by piece and
 * assembled once complete, so memory follows the bytes that really arrived,
 * not what a size field claims.
 */
const GATHER_ABOVE = 1024 * 1024;

const defaultAllocate: Allocate = (size) => new Uint8Array(size);

/**
 * Incremental ZMTP frame decoder, fed arbitrary chunks of the byte stream.
 * A frame that lies inside one chunk comes out as a view into it, without a
 * copy; a frame spread over chunks is assembled once into a buffer of its
 * exact size. The size limit is checked from the size field, before anything
 * is allocated. Reserved flag bits are ignored, as libzmq does.
 *
 * @example
 * ```ts
 * const decoder = new FrameDecoder({ frame: (flags, body) => (console.log(flags, body), true) });
 * const error = decoder.push(chunk, 0);
 * if (error) closeConnection(error);
 * ```
 */
export class FrameDecoder {
  readonly #sink: FrameSink;
  readonly #maxFrameSize: number;
  #allocate: Allocate;
  readonly #header = new Uint8Array(9);
  #headerFilled = 0;
  #body: Uint8Array | undefined;
  #bodyFilled = 0;
  #bodyFlags = 0;
  /** Pieces of a large frame spanning reads, and how many bytes they hold. */
  #pieces: Uint8Array[] | undefined;
  #piecesLength = 0;
  #piecesTarget = 0;

  /**
   * @param sink receives the frames.
   * @param maxFrameSize largest accepted frame body in bytes (libzmq's ZMQ_MAXMSGSIZE is per frame); -1 for no limit.
   * @param allocate makes buffers for frames spread over several chunks.
   */
  constructor(sink: FrameSink, maxFrameSize = -1, allocate: Allocate = defaultAllocate) {
    this.#sink = sink;
    this.#maxFrameSize = maxFrameSize < 0 ? LARGEST_FRAME : Math.min(maxFrameSize, LARGEST_FRAME);
    this.#allocate = allocate;
  }

  /** Whether the decoder sits between frames (no partial frame buffered). */
  get atFrameBoundary(): boolean {
    return this.#headerFilled === 0 && this.#body === undefined && this.#pieces === undefined;
  }

  /**
   * The part of a frame body still to come, when a frame spanning reads has
   * its buffer already: the next bytes of the stream belong there. A chunk
   * that is this very memory (read into it) is taken without a copy.
   */
  get pendingBody(): Uint8Array | undefined {
    return this.#body?.subarray(this.#bodyFilled);
  }

  /** Replaces the allocator, e.g. with one making the runtime's own buffer type. */
  set allocate(allocate: Allocate) {
    this.#allocate = allocate;
  }

  /**
   * Decodes `chunk` from `offset` on. Returns a protocol error for an invalid
   * stream, and stops early, returning undefined, when the sink asks to.
   */
  push(chunk: Uint8Array, offset: number): ZmqError | undefined {
    const end = chunk.length;
    let at = offset;
    while (at < end) {
      if (this.#pieces !== undefined) {
        const take = Math.min(this.#piecesTarget - this.#piecesLength, end - at);
        this.#pieces.push(chunk.subarray(at, at + take));
        this.#piecesLength += take;
        at += take;
        if (this.#piecesLength < this.#piecesTarget) return undefined;
        const body = this.#allocate(this.#piecesTarget);
        let offset = 0;
        for (const piece of this.#pieces) {
          body.set(piece, offset);
          offset += piece.length;
        }
        this.#pieces = undefined;
        if (!this.#sink.frame(this.#bodyFlags, body)) return undefined;
        continue;
      }
      if (this.#body !== undefined) {
        const body = this.#body;
        const take = Math.min(body.length - this.#bodyFilled, end - at);
        const readInPlace = chunk.buffer === body.buffer &&
          chunk.byteOffset + at === body.byteOffset + this.#bodyFilled;
        if (!readInPlace) body.set(chunk.subarray(at, at + take), this.#bodyFilled);
        this.#bodyFilled += take;
        at += take;
        if (this.#bodyFilled < body.length) return undefined;
        this.#body = undefined;
        if (!this.#sink.frame(this.#bodyFlags, body)) return undefined;
        continue;
      }
      let flags: number;
      let size: number;
      if (this.#headerFilled === 0 && end - at >= 9) {
        // Fast path: the whole header is in this chunk.
        flags = chunk[at];
        if ((flags & LONG) === 0) {
          size = chunk[at + 1];
          at += 2;
        } else {
          const result = readLongSize(chunk, at + 1);
          if (typeof result !== "number") return result;
          size = result;
          at += 9;
        }
      } else {
        const header = this.#header;
        header[this.#headerFilled++] = chunk[at++];
        const needed = (header[0] & LONG) === 0 ? 2 : 9;
        if (this.#headerFilled < needed) continue;
        this.#headerFilled = 0;
        flags = header[0];
        if (needed === 2) {
          size = header[1];
        } else {
          const result = readLongSize(header, 1);
          if (typeof result !== "number") return result;
          size = result;
        }
      }
      if (size > this.#maxFrameSize) {
        return new ZmqError(
          "EMSGSIZE",
          `peer sent a frame of ${size} bytes, over the limit of ${this.#maxFrameSize} bytes`,
        );
      }
      flags &= MORE | COMMAND;
      if (end - at >= size) {
        const body = chunk.subarray(at, at + size);
        at += size;
        if (!this.#sink.frame(flags, body)) return undefined;
      } else if (size > GATHER_ABOVE) {
        this.#pieces = [];
        this.#piecesLength = 0;
        this.#piecesTarget = size;
        this.#bodyFlags = flags;
      } else {
        this.#body = this.#allocate(size);
        this.#bodyFilled = 0;
        this.#bodyFlags = flags;
      }
    }
    return undefined;
  }
}

/** Reads a u64 size; sizes that JavaScript cannot hold are a protocol error at once. */
function readLongSize(bytes: Uint8Array, at: number): number | ZmqError {
  const high =
    ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>>
    0;
  const low =
    ((bytes[at + 4] << 24) | (bytes[at + 5] << 16) | (bytes[at + 6] << 8) | bytes[at + 7]) >>>
    0;
  if (high !== 0) {
    return protocolError(
      `peer sent a frame size of ${
        BigInt(high) * 0x100000000n + BigInt(low)
      } bytes, larger than any frame can be`,
    );
  }
  return low;
}
