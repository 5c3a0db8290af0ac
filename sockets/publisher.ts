import { type FrameLike, type Message, toMessage } from "./message.ts";
import type { SocketOptions } from "./options.ts";
import type { Pipe } from "./pipe.ts";
import { PrefixTrie } from "./prefix_trie.ts";
import { Socket, type WaitOptions } from "./socket.ts";

/** Options of a Publisher. */
export type PublisherOptions = SocketOptions;

/**
 * A PUB socket: each message goes to every connected subscriber whose
 * subscriptions match its first frame (a byte-prefix match). A subscriber at
 * its high-water mark misses that message; the others still get it. `send`
 * never waits.
 *
 * @example
 * ```ts
 * const publisher = new Publisher();
 * await publisher.bind("tcp://*:5556");
 * await publisher.send(["weather.paris", "12°C"]);
 * ```
 */
export class Publisher extends Socket {
  readonly #subscriptions = new Map<Pipe, PrefixTrie>();

  /** @param options socket options; unknown names throw a TypeError. */
  constructor(options?: PublisherOptions) {
    super("PUB", options);
  }

  /** Publishes a message; resolves at once (subscribers that are full or absent miss it). */
  send(message: FrameLike | readonly FrameLike[], options?: WaitOptions): Promise<void> {
    return this.sendMessage(toMessage(message), options);
  }

  protected override xAttach(pipe: Pipe): void {
    this.#subscriptions.set(pipe, new PrefixTrie());
  }

  protected override xDetach(pipe: Pipe): void {
    this.#subscriptions.delete(pipe);
  }

  protected override xDisconnected(pipe: Pipe): void {
    // The subscriber sends all its subscriptions again when it reconnects.
    this.#subscriptions.get(pipe)?.clear();
  }

  protected override xSubscription(pipe: Pipe, subscribe: boolean, topic: Uint8Array): void {
    const trie = this.#subscriptions.get(pipe);
    if (trie === undefined) return;
    if (subscribe) {
      // Like libzmq's XPUB, a topic is in a pipe's set once: one CANCEL removes it.
      if (!trie.has(topic)) trie.add(topic);
    } else {
      trie.remove(topic);
    }
  }

  protected override xReadable(pipe: Pipe): void {
    // ZMTP 3.0 peers (and libzmq XSUB sockets) send subscriptions as messages
    // starting with 1 (subscribe) or 0 (cancel); anything else is dropped.
    for (let message = pipe.read(); message !== undefined; message = pipe.read()) {
      for (const frame of message) {
        if (frame.length > 0 && frame[0] <= 1) {
          this.xSubscription(pipe, frame[0] === 1, frame.subarray(1));
        }
      }
    }
  }

  protected override xSend(message: Message): boolean {
    const topic = message[0];
    for (const [pipe, trie] of this.#subscriptions) {
      if (pipe.engine !== undefined && pipe.hasRoom && trie.matches(topic)) pipe.send(message);
    }
    return true;
  }
}
