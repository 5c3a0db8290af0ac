import { EMPTY, utf8 } from "../core/bytes.ts";

/** A message: one or more frames. */
export type Message = Uint8Array[];

/**
 * What may be sent as one frame: bytes, text (sent as UTF-8), a number (sent
 * as its decimal text, as the `zeromq` package does), or null for an empty frame.
 */
export type FrameLike = Uint8Array | ArrayBufferView | ArrayBuffer | string | number | null;

/**
 * Turns what the application passes to `send` into frames.
 *
 * @example
 * ```ts
 * toMessage(["topic", new Uint8Array([1])]); // [bytes of "topic", Uint8Array [1]]
 * ```
 */
export function toMessage(message: FrameLike | readonly FrameLike[]): Message {
  if (Array.isArray(message)) {
    if (message.length === 0) throw new TypeError("cannot send a message with no frames");
    const frames: Message = new Array(message.length);
    for (let i = 0; i < message.length; i++) frames[i] = toFrame(message[i]);
    return frames;
  }
  return [toFrame(message as FrameLike)];
}

/**
 * Turns one frame-like value into bytes (no copy for bytes).
 *
 * @example
 * ```ts
 * toFrame("hi"); // bytes of "hi"
 * ```
 */
export function toFrame(frame: FrameLike): Uint8Array {
  if (frame instanceof Uint8Array) return frame;
  if (typeof frame === "string") return utf8(frame);
  if (frame === null) return EMPTY;
  if (typeof frame === "number") return utf8(String(frame));
  if (ArrayBuffer.isView(frame)) {
    return new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
  }
  if (frame instanceof ArrayBuffer) return new Uint8Array(frame);
  throw new TypeError(`cannot send a frame of type ${Object.prototype.toString.call(frame)}`);
}
