import { EMPTY } from "../core/bytes.ts";
import type { SocketTypeName } from "../zmtp/socket_type.ts";
import { FairQueue } from "./fair_queue.ts";
import { type FrameLike, type Message, toFrame } from "./message.ts";
import type { Pipe } from "./pipe.ts";
import { PrefixTrie } from "./prefix_trie.ts";
import { Socket, type WaitOptions } from "./socket.ts";

/**
 * The receiving side of publish-subscribe (libzmq xsub.cpp), shared by
 * Subscriber and XSubscriber: messages fairly queued from every publisher,
 * and the counted subscriptions of the socket, sent to every publisher and
 * again on each (re)connection. Like libzmq's, these sockets have a linger
 * of 0 unless told otherwise.
 *
 * Subscriptions go out in the form each peer's ZMTP version calls for: a
 * SUBSCRIBE/CANCEL command to a 3.1 peer, a `01`/`00` message to a 3.0 one.
 * (libzmq's XSUB sends what its application sends as a plain message even to
 * a 3.1 peer; every XPUB, libzmq's and ours, accepts both forms, while a
 * strict 3.1 peer knows only the command, so the command is the form that
 * works everywhere.)
 *
 * @example
 * ```ts
 * class Subscriber extends SubscribingSocket {
 *   constructor(options?: SubscriberOptions) {
 *     super("SUB", options);
 *   }
 * }
 * ```
 */
export abstract class SubscribingSocket extends Socket implements AsyncIterable<Message> {
  /** The messages of every publisher, one from each in turn. */
  protected readonly incoming: FairQueue = new FairQueue();
  readonly #topics = new PrefixTrie();
  readonly #pipes = new Set<Pipe>();

  /**
   * @param type SUB or XSUB.
   * @param options socket options; unknown names throw a TypeError.
   * @param extraOptions option names the subclass handles itself.
   */
  protected constructor(
    type: SocketTypeName,
    options: { linger?: number } | undefined,
    extraOptions?: readonly string[],
  ) {
    super(type, options, extraOptions);
    // libzmq gives SUB and XSUB sockets a linger of 0: nothing of theirs is worth waiting for.
    if (options?.linger === undefined) this.linger = 0;
  }

  /** Resolves with the next message. */
  receive(options?: WaitOptions): Promise<Message> {
    return this.receiveMessage(options);
  }

  /** Iterates over received messages until the socket closes. */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return this.receivedMessages();
  }

  /**
   * Adds one count of `topic` and sends the SUBSCRIBE to every connected
   * publisher: every subscribe goes out, as libzmq sends them (the counting
   * is ours; a publisher keeps a topic once per peer).
   */
  protected addSubscription(topic: Uint8Array): void {
    this.#topics.add(topic);
    for (const pipe of this.#pipes) pipe.engine?.sendSubscription(true, topic);
  }

  /** Removes one count of `topic`; the CANCEL goes out when its last count is gone. */
  protected removeSubscription(topic: Uint8Array): void {
    if (!this.#topics.remove(topic)) return;
    for (const pipe of this.#pipes) pipe.engine?.sendSubscription(false, topic);
  }

  /** Whether some subscription is a prefix of `frame`. */
  protected subscribed(frame: Uint8Array): boolean {
    return this.#topics.matches(frame);
  }

  /** Sends a message to every publisher with room; a full one misses it. */
  protected sendToAll(message: Message): void {
    for (const pipe of this.#pipes) if (pipe.hasRoom) pipe.send(message);
  }

  protected override xAttach(pipe: Pipe): void {
    this.#pipes.add(pipe);
  }

  protected override xDetach(pipe: Pipe): void {
    this.#pipes.delete(pipe);
  }

  protected override xConnected(pipe: Pipe): boolean {
    // Each topic once, whatever its count, as libzmq replays them.
    for (const [topic] of this.#topics.topics()) pipe.engine?.sendSubscription(true, topic);
    return true;
  }

  protected override xReadable(pipe: Pipe): void {
    this.incoming.readable(pipe);
  }
}

/**
 * The topics of a `subscribe`/`unsubscribe` call as frames; none means the
 * empty topic, which matches everything.
 *
 * @example
 * ```ts
 * topicsOf([]); // [EMPTY]
 * ```
 */
export function topicsOf(topics: readonly FrameLike[]): Uint8Array[] {
  return topics.length === 0 ? [EMPTY] : topics.map(toFrame);
}
