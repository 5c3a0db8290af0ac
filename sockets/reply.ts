import { ZmqError } from "../core/errors.ts";
import { FairQueue } from "./fair_queue.ts";
import { type FrameLike, type Message, toMessage } from "./message.ts";
import type { SocketOptions } from "./options.ts";
import type { Pipe } from "./pipe.ts";
import { messageIterator } from "./readable.ts";
import { Socket, type WaitOptions } from "./socket.ts";

/** Options of a Reply. */
export type ReplyOptions = SocketOptions;

/**
 * A REP socket: receives requests by fair queueing and answers each one.
 * The envelope of a request (every frame up to and including the first empty
 * one: the routing ids stacked by Router/Dealer proxies, and the delimiter)
 * is kept back; the application sees only the body, and its reply goes back
 * in that envelope to the peer the request came from. Requests and replies
 * alternate: `receive` twice, or `send` without a request, rejects with
 * EFSM. A request without an empty frame is dropped; a reply whose requester
 * is gone or full is dropped. It talks to Request and Dealer sockets.
 *
 * @example
 * ```ts
 * const reply = new Reply();
 * await reply.bind("tcp://127.0.0.1:5555");
 * for await (const [request] of reply) await reply.send(["pong", request]);
 * ```
 */
export class Reply extends Socket implements AsyncIterable<Message> {
  readonly #in = new FairQueue();
  /** The envelope of the request being answered (libzmq rep.cpp `_sending_reply`). */
  #envelope: Message | undefined;
  /** The pipe that request came from. */
  #replyPipe: Pipe | undefined;

  /**
   * A new socket, neither bound nor connected.
   * @param options socket options; unknown names throw a TypeError.
   */
  constructor(options?: ReplyOptions) {
    super("REP", options);
  }

  /**
   * Sends the reply (one frame, or several as an array) to the request
   * received last; resolves at once. Rejects with EFSM when there is no
   * request to answer.
   */
  send(message: FrameLike | readonly FrameLike[], options?: WaitOptions): Promise<void> {
    return this.sendMessage(toMessage(message), options);
  }

  /**
   * Resolves with the body of the next request. Rejects with EFSM while the
   * previous request is unanswered, or while another `receive` waits.
   */
  receive(options?: WaitOptions): Promise<Message> {
    return this.receiveInTurn(
      "a REP socket is already waiting for a request; one receive at a time",
      this.#envelope === undefined
        ? undefined
        : "a REP socket must send the reply before it receives another request",
      options,
    );
  }

  /** Iterates over requests until the socket closes; reply to each before the next step. */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return messageIterator(() => this.receive());
  }

  /** Routing: a new pipe joins this type's strategies. */
  protected override xAttach(_pipe: Pipe): void {
    // Pipes join the fair queue when they have something to read.
  }

  /** Routing: a pipe is gone for good. */
  protected override xDetach(_pipe: Pipe): void {
    // A reply owed to a departed peer is dropped when sent (the pipe is terminated).
  }

  /** Routing: a pipe has messages to read. */
  protected override xReadable(pipe: Pipe): void {
    this.#in.readable(pipe);
  }

  /** Routing: sends one message now, or returns false to wait for room. */
  protected override xSend(message: Message): boolean {
    const envelope = this.#envelope;
    const pipe = this.#replyPipe;
    if (envelope === undefined || pipe === undefined) {
      throw new ZmqError("EFSM", "a REP socket must receive a request before it sends a reply");
    }
    this.#envelope = undefined;
    this.#replyPipe = undefined;
    // Like libzmq (a REP routes as a Router does), a requester that is gone or full misses it.
    if (pipe.terminated || !pipe.hasRoom) return true;
    // The envelope is this socket's own copy: the reply is built on it, not in a new array.
    for (let i = 0; i < message.length; i++) envelope.push(message[i]);
    pipe.send(envelope);
    return true;
  }

  /** Routing: the next message for the application, if any. */
  protected override xReceive(): Message | undefined {
    if (this.#envelope !== undefined) return undefined;
    for (;;) {
      const message = this.#in.read();
      if (message === undefined) return undefined;
      // The delimiter ends the envelope and must be followed by a body; otherwise the request is malformed.
      let delimiter = 0;
      while (delimiter < message.length && message[delimiter].length !== 0) delimiter++;
      if (delimiter >= message.length - 1) continue;
      this.#envelope = message.slice(0, delimiter + 1);
      this.#replyPipe = this.#in.lastPipe;
      return message.slice(delimiter + 1);
    }
  }
}
