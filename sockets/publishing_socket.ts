import type { SocketTypeName } from "../zmtp/socket_type.ts";
import { FanOut } from "./fan_out.ts";
import { type FrameLike, type Message, toMessage } from "./message.ts";
import { booleanOption } from "./options.ts";
import type { Pipe } from "./pipe.ts";
import { Socket, type WaitOptions } from "./socket.ts";
import { TurnBudget } from "./turn_budget.ts";

/** Sends per event-loop turn before one waits for the turn's writes, unless the HWM is higher. */
const SENDS_PER_TURN = 1000;

/**
 * The sending side of publish-subscribe, shared by Publisher and XPublisher:
 * the socket hooks wired to one {@link FanOut}, and the options both have.
 * A subclass that reports to its application overrides `reportSubscription`
 * and `reportUpstream`; by default (a Publisher) nothing is reported and
 * upstream messages are dropped.
 *
 * @example
 * ```ts
 * class Publisher extends PublishingSocket {
 *   constructor(options?: PublisherOptions) {
 *     super("PUB", options, ["noDrop", "invertMatching"]);
 *   }
 * }
 * ```
 */
export abstract class PublishingSocket extends Socket {
  /** The subscriptions and the routing by them. */
  protected readonly fanOut: FanOut;
  readonly #turnBudget = new TurnBudget();

  /**
   * @param type PUB or XPUB.
   * @param options socket options; unknown names throw a TypeError.
   * @param extraOptions option names the subclass handles itself.
   */
  protected constructor(
    type: SocketTypeName,
    options: object | undefined,
    extraOptions: readonly string[],
  ) {
    super(type, options, extraOptions);
    this.fanOut = new FanOut({
      subscription: (subscribe, topic, pipe) => this.reportSubscription(subscribe, topic, pipe),
      upstream: (message) => this.reportUpstream(message),
    });
  }

  /**
   * Wait for room (or reject with EAGAIN when `sendTimeout` is 0) when a
   * matching subscriber is at its high-water mark, instead of dropping the
   * message for it (ZMQ_XPUB_NODROP).
   * @default false
   */
  get noDrop(): boolean {
    return this.fanOut.noDrop;
  }
  set noDrop(value: boolean) {
    this.fanOut.noDrop = booleanOption("noDrop", value);
  }

  /**
   * Send each message to the subscribers none of whose subscriptions match
   * it (ZMQ_INVERT_MATCHING); the subscribers must set it too.
   * @default false
   */
  get invertMatching(): boolean {
    return this.fanOut.invertMatching;
  }
  set invertMatching(value: boolean) {
    this.fanOut.invertMatching = booleanOption("invertMatching", value);
  }

  /**
   * Publishes a message to every matching subscriber; resolves at once
   * (subscribers that are full or absent miss it), or with `noDrop` once
   * every matching subscriber has room. After a thousand sends (or the
   * high-water mark, if higher) in one turn of the event loop, a send
   * resolves once that turn's writes are done, so that a send loop lets its
   * messages out instead of dropping them.
   */
  send(message: FrameLike | readonly FrameLike[], options?: WaitOptions): Promise<void> {
    const sent = this.sendMessage(toMessage(message), options);
    const turnEnd = this.#turnBudget.spend(Math.max(SENDS_PER_TURN, this.sendHighWaterMark));
    return turnEnd === undefined ? sent : sent.then(() => turnEnd);
  }

  /** A subscription change to report: from `pipe`, or from none when its subscriber left. */
  protected reportSubscription(_subscribe: boolean, _topic: Uint8Array, _pipe?: Pipe): void {}

  /** A message a peer sent that is not a subscription. */
  protected reportUpstream(_message: Message): void {}

  protected override xAttach(pipe: Pipe): void {
    this.fanOut.attach(pipe);
  }

  protected override xDetach(pipe: Pipe): void {
    this.fanOut.detach(pipe);
  }

  protected override xDisconnected(pipe: Pipe): void {
    // The subscriber sends all its subscriptions again when it reconnects.
    this.fanOut.forget(pipe);
  }

  protected override xSubscription(pipe: Pipe, subscribe: boolean, topic: Uint8Array): void {
    this.fanOut.subscription(pipe, subscribe, topic);
  }

  protected override xReadable(pipe: Pipe): void {
    // Subscriptions in the message form, and what else peers send.
    this.fanOut.read(pipe);
  }

  protected override xSend(message: Message): boolean {
    return this.fanOut.send(message);
  }
}
