import { LoadBalancer } from "./load_balancer.ts";
import { type FrameLike, type Message, toMessage } from "./message.ts";
import type { SocketOptions } from "./options.ts";
import type { Pipe } from "./pipe.ts";
import { Socket, type WaitOptions } from "./socket.ts";

/**
 * Options of a Push. `conflate` (ZMQ_CONFLATE) keeps only the newest
 * message queued for each peer; it is also a property.
 */
export interface PushOptions extends SocketOptions {
  /**
   * Keep only the newest message queued for each peer (ZMQ_CONFLATE); single-frame messages only.
   * @default false
   */
  conflate?: boolean;
}

/**
 * A PUSH socket: each message goes whole to one peer, round robin over the
 * peers with room (a full peer is skipped); `send` waits while every peer is
 * at its high-water mark, or while there is no peer at all. It cannot
 * receive. It talks to Pull sockets.
 *
 * @example
 * ```ts
 * const push = new Push();
 * await push.bind("tcp://127.0.0.1:5557");
 * for (const task of ["a", "b", "c"]) await push.send(task);
 * ```
 */
export class Push extends Socket {
  readonly #out = new LoadBalancer();

  /**
   * A new socket, neither bound nor connected.
   * @param options socket options; unknown names throw a TypeError.
   */
  constructor(options?: PushOptions) {
    super("PUSH", options);
  }

  /**
   * Queues a message (one frame, or several as an array) for the next peer in
   * turn; resolves once queued, waits while every peer is at its high-water
   * mark (up to `sendTimeout`, then EAGAIN).
   */
  send(message: FrameLike | readonly FrameLike[], options?: WaitOptions): Promise<void> {
    return this.sendMessage(toMessage(message), options);
  }

  /**
   * A PUSH socket cannot receive: the type (`this: never`) rejects every call
   * at compile time, and from JavaScript it rejects with ZmqError ENOTSUP.
   */
  receive(this: never, options?: WaitOptions): Promise<never> {
    // The base refuses with ENOTSUP, since Push has no receive routing.
    return (this as Push).receiveMessage(options) as Promise<never>;
  }

  /** Routing: a new pipe joins this type's strategies. */
  protected override xAttach(pipe: Pipe): void {
    this.#out.add(pipe);
  }

  /** Routing: a pipe is gone for good. */
  protected override xDetach(pipe: Pipe): void {
    this.#out.remove(pipe);
  }

  /** Routing: a pipe has messages to read. */
  protected override xReadable(pipe: Pipe): void {
    // Nothing a Pull peer sends is meant for us; drain it so the pipe never stops reading.
    while (pipe.read() !== undefined);
  }

  /** Routing: sends one message now, or returns false to wait for room. */
  protected override xSend(message: Message): boolean {
    return this.#out.send(message);
  }
}
