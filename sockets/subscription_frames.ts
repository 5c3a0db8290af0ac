import type { Message } from "./message.ts";

/**
 * Separates the subscription frames of a message, in the form XSUB
 * applications send and ZMTP 3.0 peers use (first byte 1 to subscribe, 0 to
 * cancel, then the topic), from the rest. As libzmq's XPUB and XSUB do by
 * default, every frame is checked, not only the first.
 *
 * @param message the frames to look at.
 * @param subscription called for each subscription frame, in order.
 * @returns the other frames, or undefined when there are none.
 *
 * @example
 * ```ts
 * const rest = splitSubscriptions([subscribeA, data], (subscribe, topic) => apply(subscribe, topic));
 * // rest: [data]
 * ```
 */
export function splitSubscriptions(
  message: Message,
  subscription: (subscribe: boolean, topic: Uint8Array) => void,
): Message | undefined {
  let rest: Message | undefined;
  for (const frame of message) {
    if (frame.length > 0 && frame[0] <= 1) subscription(frame[0] === 1, frame.subarray(1));
    else (rest ??= []).push(frame);
  }
  return rest;
}
