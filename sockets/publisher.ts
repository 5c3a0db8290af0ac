import { ZmqError } from "../core/errors.ts";
import type { SocketOptions } from "./options.ts";
import { PublishingSocket } from "./publishing_socket.ts";
import { applyTypeOptions } from "./type_options.ts";

/** Options of a Publisher. */
export interface PublisherOptions extends SocketOptions {
  /**
   * Wait for room (or reject with EAGAIN when `sendTimeout` is 0) when a
   * matching subscriber is at its high-water mark, instead of dropping the
   * message for it (ZMQ_XPUB_NODROP).
   * @default false
   */
  noDrop?: boolean;
  /**
   * Send each message to the subscribers none of whose subscriptions match
   * it (ZMQ_INVERT_MATCHING); the subscribers must set it too.
   * @default false
   */
  invertMatching?: boolean;
  /** Keep only the newest message for each subscriber (ZMQ_CONFLATE). @default false */
  conflate?: boolean;
}

const PUBLISHER_OPTIONS = ["noDrop", "invertMatching"] as const;

/**
 * A PUB socket: each message goes to every connected subscriber whose
 * subscriptions match its first frame (a byte-prefix match). A subscriber at
 * its high-water mark misses that message; the others still get it. `send`
 * never waits (unless `noDrop`). It cannot receive: what subscribers send
 * other than subscriptions is dropped.
 *
 * @example
 * ```ts
 * const publisher = new Publisher();
 * await publisher.bind("tcp://*:5556");
 * await publisher.send(["weather.paris", "12°C"]);
 * ```
 */
export class Publisher extends PublishingSocket {
  /**
   * A new socket, neither bound nor connected.
   * @param options socket options; unknown names throw a TypeError.
   */
  constructor(options?: PublisherOptions) {
    super("PUB", options, PUBLISHER_OPTIONS);
    applyTypeOptions(this, options, PUBLISHER_OPTIONS);
  }

  /**
   * A Publisher cannot receive: a type error at compile time, ENOTSUP at run time.
   * @deprecated never callable; here so that the mistake is caught.
   */
  receive(_never: never): Promise<never> {
    return Promise.reject(new ZmqError("ENOTSUP", "a Publisher cannot receive"));
  }
}
