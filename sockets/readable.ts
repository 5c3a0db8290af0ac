import { ZmqError } from "../core/errors.ts";
import type { Message } from "./message.ts";

/**
 * The async iterator of a socket that receives: each step is `receive()`,
 * and the iteration ends (instead of throwing) when the socket closes.
 *
 * @example
 * ```ts
 * [Symbol.asyncIterator]() { return messageIterator(() => this.receive()); }
 * ```
 */
export function messageIterator(receive: () => Promise<Message>): AsyncIterator<Message> {
  return {
    next: async (): Promise<IteratorResult<Message>> => {
      try {
        return { value: await receive(), done: false };
      } catch (error) {
        if (error instanceof ZmqError && error.code === "ENOTSOCK") {
          return { value: undefined, done: true };
        }
        throw error;
      }
    },
  };
}
