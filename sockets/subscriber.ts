import { EMPTY } from "../core/bytes.ts";
import { FairQueue } from "./fair_queue.ts";
import { type FrameLike, type Message, toFrame } from "./message.ts";
import type { SocketOptions } from "./options.ts";
import type { Pipe } from "./pipe.ts";
import { PrefixTrie } from "./prefix_trie.ts";
import { messageIterator } from "./readable.ts";
import { Socket, type WaitOptions } from "./socket.ts";

/** Options of a Subscriber. */
export type SubscriberOptions = SocketOptions;

/**
 * A SUB socket: receives, from every publisher it is connected to, the
 * messages whose first frame starts with one of its subscriptions.
 * Subscriptions are counted (subscribing twice needs two unsubscribes) and
 * are sent again to every publisher on every (re)connection.
 *
 * @example
 * ```ts
 * const subscriber = new Subscriber();
 * subscriber.connect("tcp://127.0.0.1:5556");
 * subscriber.subscribe("weather.");
 * for await (const [topic, reading] of subscriber) console.log(topic, reading);
 * ```
 */
export class Subscriber extends Socket implements AsyncIterable<Message> {
  readonly #in = new FairQueue();
  readonly #pipes = new Set<Pipe>();
  readonly #subscriptions = new PrefixTrie();

  /** @param options socket options; unknown names throw a TypeError. */
  constructor(options?: SubscriberOptions) {
    super("SUB", options);
    // libzmq gives SUB sockets a linger of 0: nothing of theirs is worth waiting for.
    this.linger = 0;
  }

  /**
   * Subscribes to messages whose first frame starts with each topic; with no
   * topic, to every message.
   */
  subscribe(...topics: FrameLike[]): void {
    for (const topic of topics.length === 0 ? [EMPTY] : topics.map(toFrame)) {
      this.#subscriptions.add(topic);
      // Every subscribe goes to the publishers, as libzmq sends them (counted on our side).
      for (const pipe of this.#pipes) pipe.engine?.sendSubscription(true, topic);
    }
  }

  /** Removes one subscription to each topic (with no topic, the subscribe-to-all). */
  unsubscribe(...topics: FrameLike[]): void {
    for (const topic of topics.length === 0 ? [EMPTY] : topics.map(toFrame)) {
      // CANCEL goes out only when the last count of the topic is gone.
      if (!this.#subscriptions.remove(topic)) continue;
      for (const pipe of this.#pipes) pipe.engine?.sendSubscription(false, topic);
    }
  }

  /** Resolves with the next message matching a subscription. */
  receive(options?: WaitOptions): Promise<Message> {
    return this.receiveMessage(options);
  }

  /** Iterates over received messages until the socket closes. */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return messageIterator(() => this.receive());
  }

  protected override xAttach(pipe: Pipe): void {
    this.#pipes.add(pipe);
  }

  protected override xDetach(pipe: Pipe): void {
    this.#pipes.delete(pipe);
  }

  protected override xConnected(pipe: Pipe): boolean {
    // Each topic once, whatever its count, as libzmq replays them.
    for (const [topic] of this.#subscriptions.topics()) pipe.engine?.sendSubscription(true, topic);
    return true;
  }

  protected override xReadable(pipe: Pipe): void {
    this.#in.readable(pipe);
  }

  protected override xReceive(): Message | undefined {
    for (;;) {
      const message = this.#in.read();
      if (message === undefined) return undefined;
      // Publishers filter too, but one that sent before our subscription arrived may not have.
      if (this.#subscriptions.matches(message[0])) return message;
    }
  }
}
