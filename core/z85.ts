import { ZmqError } from "./errors.ts";

const ALPHABET =
  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/**
 * Encodes bytes as Z85 (RFC 32), the text form of CURVE keys: every 4 bytes
 * become 5 printable characters. The length must be a multiple of 4.
 *
 * @example
 * ```ts
 * z85Encode(new Uint8Array([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b])); // "HelloWorld"
 * ```
 */
export function z85Encode(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("z85Encode takes a Uint8Array");
  if (bytes.length % 4 !== 0) {
    throw new ZmqError("EINVAL", `Z85 encodes whole groups of 4 bytes; got ${bytes.length} bytes`);
  }
  let text = "";
  for (let at = 0; at < bytes.length; at += 4) {
    let value =
      ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
    const group = new Array<string>(5);
    for (let i = 4; i >= 0; i--) {
      group[i] = ALPHABET[value % 85];
      value = Math.floor(value / 85);
    }
    text += group.join("");
  }
  return text;
}

/**
 * Decodes Z85 text (RFC 32) to bytes. The length must be a non-zero multiple
 * of 5; characters outside the alphabet and groups above 0xFFFFFFFF are
 * refused, as libzmq refuses them.
 *
 * @example
 * ```ts
 * z85Decode("HelloWorld"); // Uint8Array [0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]
 * ```
 */
export function z85Decode(text: string): Uint8Array {
  if (typeof text !== "string") throw new TypeError("z85Decode takes a string");
  if (text.length === 0 || text.length % 5 !== 0) {
    throw new ZmqError(
      "EINVAL",
      `Z85 text must be a non-zero multiple of 5 characters; got ${text.length}`,
    );
  }
  const bytes = new Uint8Array((text.length / 5) * 4);
  for (let at = 0, out = 0; at < text.length; at += 5, out += 4) {
    let value = 0;
    for (let i = 0; i < 5; i++) {
      const code = text.charCodeAt(at + i);
      const digit = code < 128 ? DECODE[code] : -1;
      if (digit < 0) {
        throw new ZmqError(
          "EINVAL",
          `invalid Z85 character ${JSON.stringify(text[at + i])} at ${at + i}`,
        );
      }
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) {
      throw new ZmqError(
        "EINVAL",
        `Z85 group ${JSON.stringify(text.slice(at, at + 5))} exceeds 32 bits`,
      );
    }
    bytes[out] = value >>> 24;
    bytes[out + 1] = (value >>> 16) & 0xff;
    bytes[out + 2] = (value >>> 8) & 0xff;
    bytes[out + 3] = value & 0xff;
  }
  return bytes;
}
