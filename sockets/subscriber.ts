import { ZmqError } from "../core/errors.ts";
import type { FrameLike, Message } from "./message.ts";
import { booleanOption, type SocketOptions } from "./options.ts";
import { SubscribingSocket, topicsOf } from "./subscribing_socket.ts";
import { applyTypeOptions } from "./type_options.ts";

/** Options of a Subscriber. */
export interface SubscriberOptions extends SocketOptions {
  /**
   * Receive the messages that match none of the subscriptions
   * (ZMQ_INVERT_MATCHING); the publishers must set it too.
   * @default false
   */
  invertMatching?: boolean;
  /** Keep only the newest message from each publisher (ZMQ_CONFLATE). @default false */
  conflate?: boolean;
}

const SUBSCRIBER_OPTIONS = ["invertMatching"] as const;

/**
 * A SUB socket: receives, from every publisher it is connected to, the
 * messages whose first frame starts with one of its subscriptions.
 * Subscriptions are counted (subscribing twice needs two unsubscribes) and
 * are sent again to every publisher on every (re)connection. It cannot send.
 *
 * @example
 * ```ts
 * const subscriber = new Subscriber();
 * subscriber.connect("tcp://127.0.0.1:5556");
 * subscriber.subscribe("weather.");
 * for await (const [topic, reading] of subscriber) console.log(topic, reading);
 * ```
 */
export class Subscriber extends SubscribingSocket {
  #invertMatching = false;

  /**
   * A new socket, neither bound nor connected.
   * @param options socket options; unknown names throw a TypeError.
   */
  constructor(options?: SubscriberOptions) {
    super("SUB", options, SUBSCRIBER_OPTIONS);
    applyTypeOptions(this, options, SUBSCRIBER_OPTIONS);
  }

  /**
   * Receive the messages that match none of the subscriptions (ZMQ_INVERT_MATCHING).
   * @default false
   */
  get invertMatching(): boolean {
    return this.#invertMatching;
  }
  set invertMatching(value: boolean) {
    this.#invertMatching = booleanOption("invertMatching", value);
  }

  /**
   * Subscribes to messages whose first frame starts with each topic; with no
   * topic, to every message.
   */
  subscribe(...topics: FrameLike[]): void {
    for (const topic of topicsOf(topics)) this.addSubscription(topic);
  }

  /** Removes one subscription to each topic (with no topic, the subscribe-to-all). */
  unsubscribe(...topics: FrameLike[]): void {
    for (const topic of topicsOf(topics)) this.removeSubscription(topic);
  }

  /**
   * A Subscriber cannot send: a type error at compile time, ENOTSUP at run time.
   * @deprecated never callable; here so that the mistake is caught.
   */
  send(_never: never): Promise<never> {
    return Promise.reject(new ZmqError("ENOTSUP", "a Subscriber cannot send"));
  }

  /** Routing: the next message for the application, if any. */
  protected override xReceive(): Message | undefined {
    for (;;) {
      const message = this.incoming.read();
      // Publishers filter too, but one that sent before our subscription arrived may not have.
      if (message === undefined || this.subscribed(message[0]) !== this.#invertMatching) {
        return message;
      }
    }
  }
}
