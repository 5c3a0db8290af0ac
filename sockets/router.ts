import { fromAscii } from "../core/bytes.ts";
import { FairQueue } from "./fair_queue.ts";
import { type FrameLike, type Message, toMessage } from "./message.ts";
import type { SocketOptions } from "./options.ts";
import type { Pipe } from "./pipe.ts";
import { messageIterator } from "./readable.ts";
import { Socket, type WaitOptions } from "./socket.ts";

/** Options of a Router. */
export type RouterOptions = SocketOptions;

/**
 * A ROUTER socket: every message received starts with the routing id of the
 * peer it came from, and every message sent starts with the routing id of
 * the peer it goes to. A peer is known by the `Identity` it announces, or by
 * an id generated as libzmq does (5 bytes: `00` and a counter). Messages for
 * an unknown or full peer are dropped.
 *
 * @example
 * ```ts
 * const router = new Router();
 * await router.bind("tcp://127.0.0.1:5555");
 * for await (const [id, ...request] of router) await router.send([id, "reply"]);
 * ```
 */
export class Router extends Socket implements AsyncIterable<Message> {
  readonly #in = new FairQueue();
  readonly #byId = new Map<string, Pipe>();
  #nextId = (Math.random() * 0x100000000) >>> 0;

  /** @param options socket options; unknown names throw a TypeError. */
  constructor(options?: RouterOptions) {
    super("ROUTER", options);
  }

  /**
   * Sends `[routingId, ...frames]` to the peer with that routing id; resolves
   * at once (the message is dropped if the peer is unknown or full).
   */
  send(message: readonly FrameLike[], options?: WaitOptions): Promise<void> {
    return this.sendMessage(toMessage(message), options);
  }

  /** Resolves with the next message, prefixed with its sender's routing id. */
  receive(options?: WaitOptions): Promise<Message> {
    return this.receiveMessage(options);
  }

  /** Iterates over received messages until the socket closes. */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return messageIterator(() => this.receive());
  }

  protected override xAttach(_pipe: Pipe): void {
    // Routable only once the handshake has told us the peer's identity.
  }

  protected override xConnected(pipe: Pipe): boolean {
    // A routing id given on connect() wins over the one the peer announces (ZMQ_CONNECT_ROUTING_ID).
    const announced = pipe.connectRoutingId ?? pipe.peerMetadata?.get("Identity");
    let id: Uint8Array;
    if (announced !== undefined && announced.length > 0) {
      id = announced;
      // A second peer with an identity in use gets no routing entry (libzmq without ROUTER_HANDOVER).
      if (this.#byId.has(key(id))) return true;
    } else {
      id = this.#generateId();
    }
    pipe.routingId = id;
    this.#byId.set(key(id), pipe);
    return true;
  }

  protected override xDisconnected(pipe: Pipe): void {
    this.#forget(pipe);
  }

  protected override xDetach(pipe: Pipe): void {
    this.#forget(pipe);
  }

  protected override xReadable(pipe: Pipe): void {
    this.#in.readable(pipe);
  }

  protected override xSend(message: Message): boolean {
    // A message without a routing id frame followed by data is ignored, as libzmq does.
    if (message.length < 2) return true;
    const pipe = this.#byId.get(key(message[0]));
    if (pipe !== undefined && pipe.hasRoom) pipe.send(message.slice(1));
    return true;
  }

  protected override xReceive(): Message | undefined {
    for (;;) {
      const message = this.#in.read();
      if (message === undefined) return undefined;
      const id = this.#in.lastPipe?.routingId;
      // Messages of a peer refused a routing id are never delivered.
      if (id === undefined) continue;
      message.unshift(id);
      return message;
    }
  }

  #forget(pipe: Pipe): void {
    const id = pipe.routingId;
    if (id === undefined) return;
    // The pipe keeps its id: messages it delivered before leaving are still read with it.
    if (this.#byId.get(key(id)) === pipe) this.#byId.delete(key(id));
  }

  #generateId(): Uint8Array {
    for (;;) {
      const value = this.#nextId;
      this.#nextId = (this.#nextId + 1) >>> 0;
      const id = new Uint8Array([
        0,
        value >>> 24,
        (value >>> 16) & 0xff,
        (value >>> 8) & 0xff,
        value & 0xff,
      ]);
      if (!this.#byId.has(key(id))) return id;
    }
  }
}

function key(id: Uint8Array): string {
  return fromAscii(id);
}
