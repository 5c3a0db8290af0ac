/**
 * The byte formats of the raw floors: ZMTP-style message frames for the throughput floor
 * (`[flags, size, payload]`, a one-byte size up to 255 bytes, else the long-frame flag and an
 * eight-byte size, as ZMTP 3.1 lays out a final message frame), and length-prefixed messages
 * for the ping-pong floor.
 *
 * @module
 */

const LONG = 0x02;

/**
 * The header of one final message frame of `size` bytes.
 *
 * @example
 * ```ts
 * frameHeader(8); // Uint8Array [0, 8]
 * ```
 */
export function frameHeader(size: number): Uint8Array {
  if (size <= 255) return Uint8Array.of(0, size);
  const header = new Uint8Array(9);
  header[0] = LONG;
  new DataView(header.buffer).setBigUint64(1, BigInt(size));
  return header;
}

/**
 * A parser that counts message frames of `size` bytes in a byte stream, however it is split
 * into chunks, without copying payloads; it throws on a frame of another size.
 *
 * @example
 * ```ts
 * const count = frameCounter(8, (n) => console.log(n));
 * count(new Uint8Array([0, 8, 1, 2, 3, 4, 5, 6, 7, 8]));
 * ```
 */
export function frameCounter(
  size: number,
  onFrames: (total: number) => void,
): (chunk: Uint8Array) => void {
  const headerSize = frameHeader(size).length;
  const header = new Uint8Array(headerSize);
  let headerAt = 0;
  let payloadLeft = 0;
  let total = 0;
  return (chunk) => {
    let at = 0;
    const before = total;
    while (at < chunk.length) {
      if (payloadLeft > 0) {
        const take = Math.min(payloadLeft, chunk.length - at);
        payloadLeft -= take;
        at += take;
        if (payloadLeft === 0) total++;
        continue;
      }
      header[headerAt++] = chunk[at++];
      if (headerAt < headerSize) continue;
      headerAt = 0;
      const got = headerSize === 2
        ? header[1]
        : Number(new DataView(header.buffer).getBigUint64(1));
      if (got !== size) throw new Error(`expected frames of ${size} bytes, got ${got}`);
      payloadLeft = size;
      if (size === 0) total++;
    }
    if (total !== before) onFrames(total);
  };
}

/**
 * A parser of length-prefixed messages (a 4-byte big-endian length, then the body) that calls
 * `onMessage` with each whole message, prefix included.
 *
 * @example
 * ```ts
 * const parse = messageParser((message) => console.log(message.length));
 * ```
 */
export function messageParser(
  onMessage: (message: Uint8Array) => void,
): (chunk: Uint8Array) => void {
  let pending = new Uint8Array(0);
  return (chunk) => {
    let bytes = chunk;
    if (pending.length > 0) {
      bytes = new Uint8Array(pending.length + chunk.length);
      bytes.set(pending);
      bytes.set(chunk, pending.length);
    }
    let at = 0;
    while (bytes.length - at >= 4) {
      const length = new DataView(bytes.buffer, bytes.byteOffset + at).getUint32(0);
      if (bytes.length - at - 4 < length) break;
      onMessage(bytes.subarray(at, at + 4 + length));
      at += 4 + length;
    }
    pending = bytes.slice(at);
  };
}

/**
 * A length-prefixed message with a body of `size` zero bytes.
 *
 * @example
 * ```ts
 * prefixedMessage(8).length; // 12
 * ```
 */
export function prefixedMessage(size: number): Uint8Array {
  const message = new Uint8Array(4 + size);
  new DataView(message.buffer).setUint32(0, size);
  return message;
}
