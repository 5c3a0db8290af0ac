import { ZmqError } from "../core/errors.ts";
import type { Message } from "./message.ts";

/**
 * The async iterator of a socket that receives: each step is `receive()`,
 * and the iteration ends (instead of throwing) when the socket closes. With
 * `receiveNow`, a step whose message is already queued resolves from it
 * directly: one settled promise and one result object per message, no
 * async function and no extra promise hops.
 *
 * @example
 * ```ts
 * [Symbol.asyncIterator]() {
 *   return messageIterator(() => this.receive(), () => this.receiveNow());
 * }
 * ```
 */
export function messageIterator(
  receive: () => Promise<Message>,
  receiveNow?: () => Message | undefined,
): AsyncIterator<Message> {
  return {
    next: (): Promise<IteratorResult<Message>> => {
      const message = receiveNow?.();
      if (message !== undefined) return Promise.resolve({ value: message, done: false });
      return receive().then(step, endOnClose);
    },
  };
}

function step(value: Message): IteratorResult<Message> {
  return { value, done: false };
}

function endOnClose(error: unknown): IteratorResult<Message> {
  if (error instanceof ZmqError && error.code === "ENOTSOCK") {
    return { value: undefined, done: true };
  }
  throw error;
}
