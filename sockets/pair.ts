import { FairQueue } from "./fair_queue.ts";
import { type FrameLike, type Message, toMessage } from "./message.ts";
import type { SocketOptions } from "./options.ts";
import type { Pipe } from "./pipe.ts";
import { Socket, type WaitOptions } from "./socket.ts";

/** Options of a Pair. */
export type PairOptions = SocketOptions;

/**
 * A PAIR socket: an exclusive connection to exactly one other Pair. While it
 * has a peer (or a connect()ed endpoint, whose messages queue until it is
 * reached), any further peer completes its handshake and is then
 * disconnected, as libzmq does; once the peer is gone for good, the next one
 * is accepted. `send` waits while there is no peer or its queue is full.
 *
 * @example
 * ```ts
 * const pair = new Pair();
 * await pair.bind("inproc://step");
 * await pair.send("ready");
 * const [reply] = await pair.receive();
 * ```
 */
export class Pair extends Socket implements AsyncIterable<Message> {
  /** The one pipe we route to (libzmq pair.cpp `_pipe`). */
  #pipe: Pipe | undefined;
  /** Reads the peer's messages, and those a departed peer left unread. */
  readonly #in = new FairQueue();

  /**
   * A new socket, neither bound nor connected.
   * @param options socket options; unknown names throw a TypeError.
   */
  constructor(options?: PairOptions) {
    super("PAIR", options);
  }

  /**
   * Queues a message (one frame, or several as an array) for the peer;
   * resolves once queued, waits while there is no peer or it is at its
   * high-water mark (up to `sendTimeout`, then EAGAIN).
   */
  send(message: FrameLike | readonly FrameLike[], options?: WaitOptions): Promise<void> {
    return this.sendMessage(toMessage(message), options);
  }

  /** Resolves with the next message from the peer. */
  receive(options?: WaitOptions): Promise<Message> {
    return this.receiveMessage(options);
  }

  /** Iterates over received messages until the socket closes. */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return this.receivedMessages();
  }

  /** Routing: a new pipe joins this type's strategies. */
  protected override xAttach(pipe: Pipe): void {
    // The first pipe is ours; a later one is refused when its peer shows up (xConnected).
    this.#pipe ??= pipe;
  }

  /** Routing: a pipe's peer finished its handshake; false refuses it. */
  protected override xConnected(pipe: Pipe): boolean {
    // A connect()ed pipe that lost out to another may still take over once that one is gone.
    this.#pipe ??= pipe;
    return pipe === this.#pipe;
  }

  /** Routing: a pipe is gone for good. */
  protected override xDetach(pipe: Pipe): void {
    if (pipe === this.#pipe) this.#pipe = undefined;
  }

  /** Routing: a pipe has messages to read. */
  protected override xReadable(pipe: Pipe): void {
    // A refused peer's messages (sent right behind its handshake) are never read.
    if (pipe === this.#pipe) this.#in.readable(pipe);
  }

  /** Routing: sends one message now, or returns false to wait for room. */
  protected override xSend(message: Message): boolean {
    const pipe = this.#pipe;
    if (pipe === undefined || !pipe.hasRoom) return false;
    pipe.send(message);
    return true;
  }

  /** Routing: the next message for the application, if any. */
  protected override xReceive(): Message | undefined {
    return this.#in.read();
  }
}
