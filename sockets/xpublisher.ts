import { Deque } from "../core/deque.ts";
import { ZmqError } from "../core/errors.ts";
import { subscriptionMessage } from "../zmtp/commands.ts";
import type { Verbosity } from "./fan_out.ts";
import { type FrameLike, type Message, toFrame } from "./message.ts";
import { booleanOption, type SocketOptions } from "./options.ts";
import type { Pipe } from "./pipe.ts";
import { PublishingSocket } from "./publishing_socket.ts";
import type { WaitOptions } from "./socket.ts";
import { topicsOf } from "./subscribing_socket.ts";
import { applyTypeOptions } from "./type_options.ts";

export type { Verbosity };

/** Options of an XPublisher. */
export interface XPublisherOptions extends SocketOptions {
  /**
   * Wait for room (or reject with EAGAIN when `sendTimeout` is 0) when a
   * matching subscriber is at its high-water mark, instead of dropping the
   * message for it (ZMQ_XPUB_NODROP).
   * @default false
   */
  noDrop?: boolean;
  /**
   * Send each message to the subscribers none of whose subscriptions match it (ZMQ_INVERT_MATCHING).
   * @default false
   */
  invertMatching?: boolean;
  /**
   * Which subscription changes `receive` reports: `null` a topic's first
   * subscribe and last unsubscribe, `"allSubs"` every subscribe
   * (ZMQ_XPUB_VERBOSE), `"allSubsUnsubs"` every subscribe and unsubscribe
   * (ZMQ_XPUB_VERBOSER).
   * @default null
   */
  verbosity?: Verbosity;
  /**
   * Report subscriptions without applying them; the application applies
   * them with `subscribe`/`unsubscribe` (ZMQ_XPUB_MANUAL).
   * @default false
   */
  manual?: boolean;
  /** A message sent to every new subscriber as it attaches (ZMQ_XPUB_WELCOME_MSG). @default null */
  welcomeMessage?: FrameLike;
}

const XPUBLISHER_OPTIONS = [
  "noDrop",
  "invertMatching",
  "verbosity",
  "manual",
  "welcomeMessage",
] as const;

/** A message for the application: a subscription change (with its pipe, if any) or upstream data. */
interface Pending {
  readonly message: Message;
  readonly subscription: boolean;
  readonly pipe: Pipe | undefined;
}

/**
 * An XPUB socket: a Publisher that also tells the application about the
 * subscriptions of its peers, as messages `[0x01 + topic]` (subscribe) and
 * `[0x00 + topic]` (unsubscribe), whichever wire form they came in. By
 * default only a topic's first subscriber and its last unsubscribe are
 * reported, counted over all peers; a peer that leaves unsubscribes from
 * everything it had. Other messages peers send (from XSubscriber
 * applications) are received as they are. With `manual`, subscriptions are
 * reported but not applied: `subscribe`/`unsubscribe` apply them to the peer
 * of the subscription message received last.
 *
 * @example
 * ```ts
 * const xpub = new XPublisher({ verbosity: "allSubs" });
 * await xpub.bind("tcp://127.0.0.1:5556");
 * const [change] = await xpub.receive(); // 01 "weather." when a subscriber subscribes
 * await xpub.send(["weather.paris", "12°C"]);
 * ```
 */
export class XPublisher extends PublishingSocket implements AsyncIterable<Message> {
  readonly #pending = new Deque<Pending>();
  #welcome: Uint8Array | null = null;
  /** The pipe of the subscription message received last (ZMQ_XPUB_MANUAL applies to it). */
  #lastPipe: Pipe | undefined;

  /**
   * A new socket, neither bound nor connected.
   * @param options socket options; unknown names throw a TypeError.
   */
  constructor(options?: XPublisherOptions) {
    super("XPUB", options, XPUBLISHER_OPTIONS);
    applyTypeOptions(this, options, XPUBLISHER_OPTIONS);
  }

  /**
   * Which subscription changes are reported: `null` a topic's first
   * subscribe and last unsubscribe, `"allSubs"` every subscribe
   * (ZMQ_XPUB_VERBOSE), `"allSubsUnsubs"` every subscribe and unsubscribe
   * (ZMQ_XPUB_VERBOSER).
   * @default null
   */
  get verbosity(): Verbosity {
    return this.fanOut.verbosity;
  }
  set verbosity(value: Verbosity) {
    if (value !== null && value !== "allSubs" && value !== "allSubsUnsubs") {
      throw new TypeError(
        `option verbosity must be null, "allSubs" or "allSubsUnsubs", got ${String(value)}`,
      );
    }
    this.fanOut.verbosity = value;
  }

  /**
   * Report every subscription change without applying it; `subscribe` and
   * `unsubscribe` apply them (ZMQ_XPUB_MANUAL).
   * @default false
   */
  get manual(): boolean {
    return this.fanOut.manual;
  }
  set manual(value: boolean) {
    this.fanOut.manual = booleanOption("manual", value);
  }

  /**
   * A single-frame message sent to every new subscriber as it attaches,
   * before anything else (ZMQ_XPUB_WELCOME_MSG); a libzmq Subscriber drops it
   * unless it subscribed to a prefix of it before connecting. `null` (or an
   * empty frame) for none.
   * @default null
   */
  get welcomeMessage(): Uint8Array | null {
    return this.#welcome;
  }
  set welcomeMessage(value: FrameLike) {
    const frame = toFrame(value);
    this.#welcome = frame.length === 0 ? null : frame;
  }

  /**
   * Resolves with the next subscription change (`[0x01 + topic]` or
   * `[0x00 + topic]`) or message sent by a peer.
   */
  receive(options?: WaitOptions): Promise<Message> {
    return this.receiveMessage(options);
  }

  /** Iterates over received messages until the socket closes. */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return this.receivedMessages();
  }

  /**
   * In manual mode, subscribes the peer of the subscription message received
   * last to each topic (with no topic, to everything), as libzmq's
   * ZMQ_SUBSCRIBE on an XPUB does. Nothing happens if that peer is gone.
   */
  subscribe(...topics: FrameLike[]): void {
    this.#applyManually(true, topics);
  }

  /** In manual mode, removes subscriptions of the peer of the subscription message received last. */
  unsubscribe(...topics: FrameLike[]): void {
    this.#applyManually(false, topics);
  }

  #applyManually(subscribe: boolean, topics: FrameLike[]): void {
    if (!this.fanOut.manual) {
      throw new ZmqError(
        "EINVAL",
        `${subscribe ? "subscribe" : "unsubscribe"} on an XPublisher needs manual: true`,
      );
    }
    const pipe = this.#lastPipe;
    if (pipe === undefined) return;
    for (const topic of topicsOf(topics)) this.fanOut.applyManually(pipe, subscribe, topic);
  }

  /** Queues a subscription report for the application. */
  protected override reportSubscription(subscribe: boolean, topic: Uint8Array, pipe?: Pipe): void {
    this.#pending.push({
      message: [subscriptionMessage(subscribe, topic)],
      subscription: true,
      pipe,
    });
  }

  /** Queues an upstream message for the application. */
  protected override reportUpstream(message: Message): void {
    this.#pending.push({ message, subscription: false, pipe: undefined });
  }

  /** Routing: a new pipe joins this type's strategies. */
  protected override xAttach(pipe: Pipe): void {
    super.xAttach(pipe);
    // Queued first: a connect()ed pipe sends it on connection, an accepted one at once.
    if (this.#welcome !== null) pipe.send([this.#welcome]);
  }

  /** Routing: a pipe is gone for good. */
  protected override xDetach(pipe: Pipe): void {
    super.xDetach(pipe);
    if (pipe === this.#lastPipe) this.#lastPipe = undefined;
    this.#wake();
  }

  /** Routing: a connect()ed pipe lost its connection and stays. */
  protected override xDisconnected(pipe: Pipe): void {
    super.xDisconnected(pipe);
    this.#wake();
  }

  /** Routing: a peer subscribed (true) or cancelled (false) a topic. */
  protected override xSubscription(pipe: Pipe, subscribe: boolean, topic: Uint8Array): void {
    super.xSubscription(pipe, subscribe, topic);
    this.#wake();
  }

  /** Routing: the next message for the application, if any. */
  protected override xReceive(): Message | undefined {
    const next = this.#pending.shift();
    if (next === undefined) return undefined;
    if (next.subscription) {
      // The cancels of a peer that left have no pipe: manual calls then do nothing.
      this.#lastPipe = next.pipe !== undefined && this.fanOut.has(next.pipe)
        ? next.pipe
        : undefined;
    }
    return next.message;
  }

  /**
   * Hands waiting `receive` calls the reports just queued: the socket base
   * wakes receivers when a pipe turns readable, so the pipe is made readable
   * with a message of no frames, which the fan-out's `read` skips.
   */
  #wake(): void {
    if (this.#pending.length > 0) this.wakeReceivers();
  }
}
