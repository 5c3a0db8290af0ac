import { FairQueue } from "./fair_queue.ts";
import type { Message } from "./message.ts";
import type { SocketOptions } from "./options.ts";
import type { Pipe } from "./pipe.ts";
import { Socket, type WaitOptions } from "./socket.ts";

/**
 * Options of a Pull. `conflate` (ZMQ_CONFLATE) keeps only the newest
 * message received from each peer; it is also a property.
 */
export interface PullOptions extends SocketOptions {
  /**
   * Keep only the newest message received from each peer (ZMQ_CONFLATE); single-frame messages only.
   * @default false
   */
  conflate?: boolean;
}

/**
 * A PULL socket: receives from its peers by fair queueing (one message from
 * each peer that has some, in turn). It cannot send. It talks to Push
 * sockets.
 *
 * @example
 * ```ts
 * const pull = new Pull();
 * pull.connect("tcp://127.0.0.1:5557");
 * for await (const [task] of pull) console.log(new TextDecoder().decode(task));
 * ```
 */
export class Pull extends Socket implements AsyncIterable<Message> {
  readonly #in = new FairQueue();

  /**
   * A new socket, neither bound nor connected.
   * @param options socket options; unknown names throw a TypeError.
   */
  constructor(options?: PullOptions) {
    super("PULL", options);
  }

  /**
   * A PULL socket cannot send: the type (`message: never`) rejects every call
   * at compile time, and from JavaScript it rejects with ZmqError ENOTSUP.
   */
  send(_message: never, options?: WaitOptions): Promise<never> {
    // The base refuses with ENOTSUP, since Pull has no send routing.
    return this.sendMessage([], options) as Promise<never>;
  }

  /** Resolves with the next message from any peer, fairly queued. */
  receive(options?: WaitOptions): Promise<Message> {
    return this.receiveMessage(options);
  }

  /** Iterates over received messages until the socket closes. */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return this.receivedMessages();
  }

  /** Routing: a new pipe joins this type's strategies. */
  protected override xAttach(_pipe: Pipe): void {
    // Pipes join the fair queue when they have something to read.
  }

  /** Routing: a pipe is gone for good. */
  protected override xDetach(_pipe: Pipe): void {
    // What a departed peer sent before it left stays readable (the fair queue drops the pipe once drained).
  }

  /** Routing: a pipe has messages to read. */
  protected override xReadable(pipe: Pipe): void {
    this.#in.readable(pipe);
  }

  /** Routing: the next message for the application, if any. */
  protected override xReceive(): Message | undefined {
    return this.#in.read();
  }
}
