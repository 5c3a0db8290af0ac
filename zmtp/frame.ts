/** Frame flag: another frame of the same message follows. */
export const MORE = 0x01;
/** Frame flag: the size field is 8 bytes (u64) instead of 1. */
export const LONG = 0x02;
/** Frame flag: the frame is a command, not message data. */
export const COMMAND = 0x04;

/** Bodies at least this large are written to the connection as they are, not copied into a batch. */
const ZERO_COPY_THRESHOLD = 16 * 1024;
const MIN_BATCH = 512;
const MAX_RETAINED_BATCH = 256 * 1024;

/**
 * Encodes frames into batches: everything written between two `take()`s goes
 * out as few chunks as possible, so a connection makes one write per turn of
 * the event loop however many frames were sent. Large bodies are not copied.
 *
 * @example
 * ```ts
 * const writer = new FrameWriter();
 * writer.frame(MORE, topic);
 * writer.frame(0, payload);
 * for (const chunk of writer.take()) connection.write(chunk);
 * ```
 */
export class FrameWriter {
  #batch: Uint8Array = new Uint8Array(0);
  /** Where the part of the batch not yet handed over starts. */
  #start = 0;
  /** Where the next byte goes in the batch. */
  #length = 0;
  #chunks: Uint8Array[] = [];
  #pending = 0;
  #nextCapacity = MIN_BATCH;

  /** Bytes written and not yet taken. */
  get pendingBytes(): number {
    return this.#pending;
  }

  /**
   * Appends one frame. `flags` holds MORE and COMMAND; the short or long
   * size form is chosen as libzmq does (long only above 255 bytes).
   * The body must not be modified until it has been taken and written.
   */
  frame(flags: number, body: Uint8Array): void {
    const size = body.length;
    const long = size > 255;
    const headerLength = long ? 9 : 2;
    const copyBody = size < ZERO_COPY_THRESHOLD;
    const batch = this.#reserve(headerLength + (copyBody ? size : 0));
    let at = this.#length;
    if (long) {
      batch[at] = flags | LONG;
      // u64 big-endian: bodies are far below 2^53, so two u32 halves suffice.
      const high = Math.floor(size / 0x100000000);
      batch[at + 1] = 0;
      batch[at + 2] = 0;
      batch[at + 3] = high >>> 8;
      batch[at + 4] = high & 0xff;
      batch[at + 5] = size >>> 24;
      batch[at + 6] = (size >>> 16) & 0xff;
      batch[at + 7] = (size >>> 8) & 0xff;
      batch[at + 8] = size & 0xff;
    } else {
      batch[at] = flags;
      batch[at + 1] = size;
    }
    at += headerLength;
    if (copyBody) {
      if (size > 0) batch.set(body, at);
      this.#length = at + size;
    } else {
      this.#length = at;
      this.#sealBatch();
      this.#chunks.push(body);
    }
    this.#pending += headerLength + size;
  }

  /** Appends bytes that are already encoded (the greeting). */
  raw(bytes: Uint8Array): void {
    const batch = this.#reserve(bytes.length);
    batch.set(bytes, this.#length);
    this.#length += bytes.length;
    this.#pending += bytes.length;
  }

  /**
   * Hands over everything written so far, in order, and starts afresh. The
   * returned chunks belong to the caller (a runtime may hold them until sent).
   */
  take(): Uint8Array[] {
    this.#sealBatch();
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#pending = 0;
    return chunks;
  }

  #reserve(bytes: number): Uint8Array {
    if (this.#length + bytes > this.#batch.length) {
      this.#sealBatch();
      const capacity = Math.max(this.#nextCapacity, bytes);
      this.#batch = new Uint8Array(capacity);
      this.#start = 0;
      this.#length = 0;
    }
    return this.#batch;
  }

  /**
   * Moves the filled part of the batch into the chunk list. The rest of the
   * batch serves the next frames: bytes handed over are never written again,
   * and small writes (a request, a reply) share one allocation over many turns.
   */
  #sealBatch(): void {
    const filled = this.#length - this.#start;
    if (filled === 0) return;
    this.#chunks.push(this.#batch.subarray(this.#start, this.#length));
    // Size the next batch after this one, so a steady stream needs one batch per turn.
    this.#nextCapacity = Math.min(MAX_RETAINED_BATCH, Math.max(MIN_BATCH, filled * 2));
    this.#start = this.#length;
  }
}
