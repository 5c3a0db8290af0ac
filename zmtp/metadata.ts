import { ascii, fromAscii } from "../core/bytes.ts";
import { protocolError, type ZmqError } from "../core/errors.ts";

/**
 * ZMTP metadata: the properties of a READY (and of PLAIN/CURVE INITIATE and
 * ZAP replies), in the order they were sent. Names compare case-insensitively.
 */
export class Metadata {
  readonly #entries: [string, Uint8Array][] = [];

  /**
   * @param entries name/value pairs, in wire order.
   * @example
   * ```ts
   * const metadata = new Metadata([["Socket-Type", ascii("DEALER")]]);
   * ```
   */
  constructor(entries: Iterable<readonly [string, Uint8Array]> = []) {
    for (const [name, value] of entries) this.#entries.push([name, value]);
  }

  /** The value of property `name` (any case), or undefined. */
  get(name: string): Uint8Array | undefined {
    const wanted = name.toLowerCase();
    for (const [key, value] of this.#entries) if (key.toLowerCase() === wanted) return value;
    return undefined;
  }

  /** The value of property `name` as ASCII text, or undefined. */
  getText(name: string): string | undefined {
    const value = this.get(name);
    return value === undefined ? undefined : fromAscii(value);
  }

  /** Every property, in wire order. */
  entries(): IterableIterator<[string, Uint8Array]> {
    return this.#entries.values();
  }

  /** Encodes the properties back to back, as a command body expects them. */
  encode(): Uint8Array {
    let length = 0;
    for (const [name, value] of this.#entries) length += 1 + name.length + 4 + value.length;
    const bytes = new Uint8Array(length);
    const view = new DataView(bytes.buffer);
    let at = 0;
    for (const [name, value] of this.#entries) {
      if (name.length === 0 || name.length > 255) {
        throw new RangeError(`metadata name "${name}" must be 1 to 255 characters`);
      }
      bytes[at++] = name.length;
      bytes.set(ascii(name), at);
      at += name.length;
      view.setUint32(at, value.length);
      at += 4;
      bytes.set(value, at);
      at += value.length;
    }
    return bytes;
  }

  /**
   * Parses properties from `bytes[offset..]`. Returns a protocol error for a
   * truncated or malformed list, as libzmq does for leftover bytes.
   *
   * @example
   * ```ts
   * const metadata = Metadata.parse(readyBody, 6);
   * if (!(metadata instanceof Metadata)) fail(metadata);
   * ```
   */
  static parse(bytes: Uint8Array, offset: number): Metadata | ZmqError {
    const metadata = new Metadata();
    let at = offset;
    while (at < bytes.length) {
      const nameLength = bytes[at++];
      if (nameLength === 0 || at + nameLength + 4 > bytes.length) {
        return protocolError("malformed metadata: truncated property name or size");
      }
      const name = fromAscii(bytes, at, at + nameLength);
      at += nameLength;
      const valueLength =
        ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
      at += 4;
      if (valueLength > bytes.length - at) {
        return protocolError(`malformed metadata: property "${name}" claims ${valueLength} bytes`);
      }
      // A copy: the value outlives the chunk it came in (and Node's slice would not copy).
      metadata.#entries.push([name, new Uint8Array(bytes.subarray(at, at + valueLength))]);
      at += valueLength;
    }
    return metadata;
  }
}
