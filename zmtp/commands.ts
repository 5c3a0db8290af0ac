import { ascii, fromAscii } from "../core/bytes.ts";
import { protocolError, type ZmqError } from "../core/errors.ts";

/**
 * Builds a command body: the length-prefixed name, then the data.
 *
 * @example
 * ```ts
 * commandBody("PING", new Uint8Array([0, 0])); // 04 "PING" 00 00
 * ```
 */
export function commandBody(name: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const body = new Uint8Array(1 + name.length + data.length);
  body[0] = name.length;
  for (let i = 0; i < name.length; i++) body[1 + i] = name.charCodeAt(i);
  body.set(data, 1 + name.length);
  return body;
}

/**
 * The name of a command body, or a protocol error when the length prefix
 * runs past the body.
 *
 * @example
 * ```ts
 * commandName(commandBody("PING")); // "PING"
 * ```
 */
export function commandName(body: Uint8Array): string | ZmqError {
  if (body.length === 0 || body[0] === 0 || 1 + body[0] > body.length) {
    return protocolError("malformed command: empty or truncated name");
  }
  return fromAscii(body, 1, 1 + body[0]);
}

/** Offset of the data that follows a command's name. */
export function commandDataOffset(body: Uint8Array): number {
  return 1 + body[0];
}

/**
 * An ERROR command: the reason as a length-prefixed string, at most 255 bytes.
 *
 * @example
 * ```ts
 * errorCommand("400"); // 05 "ERROR" 03 "400"
 * ```
 */
export function errorCommand(reason: string): Uint8Array {
  const text = ascii(reason.slice(0, 255));
  const data = new Uint8Array(1 + text.length);
  data[0] = text.length;
  data.set(text, 1);
  return commandBody("ERROR", data);
}

/** Reads the reason of an ERROR command body, tolerating a truncated one. */
export function errorReason(body: Uint8Array): string {
  const at = commandDataOffset(body);
  const length = body[at] ?? 0;
  return fromAscii(body, at + 1, Math.min(body.length, at + 1 + length));
}

/**
 * A PING: time-to-live in tenths of a second (0 = none) and up to 16 bytes of context.
 *
 * @example
 * ```ts
 * pingCommand(50); // 04 "PING" 00 32
 * ```
 */
export function pingCommand(
  ttlDeciseconds: number,
  context: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const data = new Uint8Array(2 + Math.min(context.length, 16));
  data[0] = (ttlDeciseconds >> 8) & 0xff;
  data[1] = ttlDeciseconds & 0xff;
  data.set(context.subarray(0, 16), 2);
  return commandBody("PING", data);
}

/**
 * A SUBSCRIBE or CANCEL command (ZMTP 3.1) for `topic`.
 *
 * @example
 * ```ts
 * subscriptionCommand(true, ascii("AB")); // 09 "SUBSCRIBE" "AB"
 * ```
 */
export function subscriptionCommand(subscribe: boolean, topic: Uint8Array): Uint8Array {
  return commandBody(subscribe ? "SUBSCRIBE" : "CANCEL", topic);
}

/**
 * The ZMTP 3.0 form of a subscription: a message whose first byte is 1 to
 * subscribe or 0 to cancel, then the topic.
 *
 * @example
 * ```ts
 * subscriptionMessage(true, ascii("AB")); // 01 "AB"
 * ```
 */
export function subscriptionMessage(subscribe: boolean, topic: Uint8Array): Uint8Array {
  const body = new Uint8Array(1 + topic.length);
  body[0] = subscribe ? 1 : 0;
  body.set(topic, 1);
  return body;
}
