/**
 * Byte helpers shared by every layer. Strings are UTF-8 on the wire, as in
 * libzmq's language bindings.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The empty frame, shared: it is never written to. */
export const EMPTY: Uint8Array = new Uint8Array(0);

/**
 * Encodes text as UTF-8.
 *
 * @example
 * ```ts
 * utf8("hi"); // Uint8Array [0x68, 0x69]
 * ```
 */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Decodes UTF-8 bytes to text.
 *
 * @example
 * ```ts
 * fromUtf8(new Uint8Array([0x68, 0x69])); // "hi"
 * ```
 */
export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * Encodes ASCII text (protocol names) one byte per character, without a TextEncoder call.
 *
 * @example
 * ```ts
 * ascii("READY"); // Uint8Array [0x52, 0x45, 0x41, 0x44, 0x59]
 * ```
 */
export function ascii(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}

/**
 * Decodes bytes one character per byte (protocol names, never user data).
 *
 * @example
 * ```ts
 * fromAscii(new Uint8Array([0x4e, 0x55, 0x4c, 0x4c])); // "NULL"
 * ```
 */
export function fromAscii(bytes: Uint8Array, start = 0, end: number = bytes.length): string {
  let text = "";
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]);
  return text;
}

/**
 * Whether two byte arrays hold the same bytes.
 *
 * @example
 * ```ts
 * bytesEqual(utf8("a"), utf8("a")); // true
 * ```
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Joins byte arrays into one new array.
 *
 * @example
 * ```ts
 * concatBytes([utf8("a"), utf8("b")]); // bytes of "ab"
 * ```
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Formats bytes as lower-case hex, for error messages and tests.
 *
 * @example
 * ```ts
 * toHex(new Uint8Array([0xff, 0x01])); // "ff01"
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/**
 * Parses hex (whitespace ignored) into bytes.
 *
 * @example
 * ```ts
 * fromHex("ff 01"); // Uint8Array [0xff, 0x01]
 * ```
 */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw new TypeError(`invalid hex string "${hex}"`);
  }
  const bytes = new Uint8Array(clean.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}
