import { type FrameLike, type Message, toMessage } from "./message.ts";
import type { SocketOptions } from "./options.ts";
import type { WaitOptions } from "./socket.ts";
import { SubscribingSocket } from "./subscribing_socket.ts";
import { splitSubscriptions } from "./subscription_frames.ts";

/** Options of an XSubscriber. */
export type XSubscriberOptions = SocketOptions;

/**
 * An XSUB socket: a Subscriber whose application subscribes by sending
 * `[0x01 + topic]` and unsubscribes by sending `[0x00 + topic]`, and may send
 * other messages upstream to every publisher. It receives everything its
 * publishers send, unfiltered (they filter by its subscriptions). Its
 * subscriptions are counted, like a Subscriber's, and sent again to every
 * publisher on each (re)connection. With an XPublisher, it makes a proxy
 * that forwards subscriptions.
 *
 * @example
 * ```ts
 * const xsub = new XSubscriber();
 * xsub.connect("tcp://127.0.0.1:5556");
 * await xsub.send(new Uint8Array([1, ...new TextEncoder().encode("weather.")]));
 * const [topic, reading] = await xsub.receive();
 * ```
 */
export class XSubscriber extends SubscribingSocket {
  /**
   * A new socket, neither bound nor connected.
   * @param options socket options; unknown names throw a TypeError.
   */
  constructor(options?: XSubscriberOptions) {
    super("XSUB", options);
  }

  /**
   * Sends a message: frames starting with 1 subscribe to the rest of the
   * frame, frames starting with 0 unsubscribe (every frame is checked, as
   * libzmq does); the other frames go upstream to every publisher with room
   * (a full one misses them). Resolves at once.
   */
  send(message: FrameLike | readonly FrameLike[], options?: WaitOptions): Promise<void> {
    return this.sendMessage(toMessage(message), options);
  }

  /** Routing: sends one message now, or returns false to wait for room. */
  protected override xSend(message: Message): boolean {
    const upstream = splitSubscriptions(message, (subscribe, topic) => {
      if (subscribe) this.addSubscription(topic);
      else this.removeSubscription(topic);
    });
    if (upstream !== undefined) this.sendToAll(upstream);
    return true;
  }

  /** Routing: the next message for the application, if any. */
  protected override xReceive(): Message | undefined {
    return this.incoming.read();
  }
}
