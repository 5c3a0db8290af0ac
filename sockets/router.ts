import { fromAscii, toHex } from "../core/bytes.ts";
import { ZmqError } from "../core/errors.ts";
import { Engine } from "./engine.ts";
import { FairQueue } from "./fair_queue.ts";
import { type FrameLike, type Message, toMessage } from "./message.ts";
import { booleanOption, type SocketOptions } from "./options.ts";
import type { Pipe } from "./pipe.ts";
import { RouterProbe } from "./router_probe.ts";
import { RoutingTable } from "./routing_table.ts";
import { Socket, type WaitOptions } from "./socket.ts";
import { applyTypeOptions } from "./type_options.ts";

/** Options of a Router. */
export interface RouterOptions extends SocketOptions {
  /**
   * Reject a send to an unknown routing id with EHOSTUNREACH, and wait for
   * room (EAGAIN with `sendTimeout` 0) when the peer is at its high-water
   * mark, instead of dropping the message (ZMQ_ROUTER_MANDATORY).
   * @default false
   */
  mandatory?: boolean;
  /**
   * Let a new peer announcing a routing id already in use take it over: the
   * old connection is closed (an inproc one is only no longer routed) and
   * its unread messages dropped. Without it,
   * the newcomer is never routed to and its messages never delivered
   * (ZMQ_ROUTER_HANDOVER).
   * @default false
   */
  handover?: boolean;
  /** Send an empty message to every new peer, so a Router peer learns of us (ZMQ_PROBE_ROUTER). @default false */
  probeRouter?: boolean;
}

const ROUTER_OPTIONS = ["mandatory", "handover", "probeRouter"] as const;

/**
 * A ROUTER socket: every message received starts with the routing id of the
 * peer it came from, and every message sent starts with the routing id of
 * the peer it goes to. A peer is known by the `Identity` it announces (any
 * 1 to 255 bytes), or by an id generated as libzmq does (5 bytes: `00` and a
 * counter). Messages for an unknown or full peer are dropped, unless
 * `mandatory`.
 *
 * @example
 * ```ts
 * const router = new Router({ mandatory: true });
 * await router.bind("tcp://127.0.0.1:5555");
 * for await (const [id, ...request] of router) await router.send([id, "reply"]);
 * ```
 */
export class Router extends Socket implements AsyncIterable<Message> {
  readonly #in = new FairQueue();
  readonly #peers = new RoutingTable();
  readonly #probe = new RouterProbe();
  #mandatory = false;
  #handover = false;

  /**
   * A new socket, neither bound nor connected.
   * @param options socket options; unknown names throw a TypeError.
   */
  constructor(options?: RouterOptions) {
    super("ROUTER", options, ROUTER_OPTIONS);
    applyTypeOptions(this, options, ROUTER_OPTIONS);
  }

  /**
   * Reject a send to an unknown peer with EHOSTUNREACH, and wait for room
   * when the peer is full, instead of dropping (ZMQ_ROUTER_MANDATORY).
   * @default false
   */
  get mandatory(): boolean {
    return this.#mandatory;
  }
  set mandatory(value: boolean) {
    this.#mandatory = booleanOption("mandatory", value);
  }

  /**
   * Let a new peer with a routing id in use take it over (ZMQ_ROUTER_HANDOVER).
   * @default false
   */
  get handover(): boolean {
    return this.#handover;
  }
  set handover(value: boolean) {
    this.#handover = booleanOption("handover", value);
  }

  /** Send an empty message to every new peer (ZMQ_PROBE_ROUTER). @default false */
  get probeRouter(): boolean {
    return this.#probe.enabled;
  }
  set probeRouter(value: boolean) {
    this.#probe.enabled = value;
  }

  /**
   * Sends `[routingId, ...frames]` to the peer with that routing id. Resolves
   * at once: the message is dropped if the peer is unknown or full. With
   * `mandatory`, rejects with EHOSTUNREACH for an unknown peer and waits
   * while the peer is full.
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
    return this.receivedMessages();
  }

  /** Routing: a new pipe joins this type's strategies. */
  protected override xAttach(pipe: Pipe): void {
    // Routable only once the handshake has told us the peer's identity.
    this.#probe.attached(pipe);
  }

  /** Routing: a pipe's peer finished its handshake; false refuses it. */
  protected override xConnected(pipe: Pipe): boolean {
    this.#probe.connected(pipe);
    // A routing id given on connect() wins over the one the peer announces (ZMQ_CONNECT_ROUTING_ID).
    const announced = pipe.connectRoutingId ?? pipe.peerMetadata?.get("Identity");
    let id: Uint8Array;
    if (announced !== undefined && announced.length > 0) {
      id = announced;
      const holder = this.#peers.get(id);
      if (holder !== undefined && holder !== pipe) {
        // Without handover the newcomer gets no routing entry: its messages are never delivered.
        if (!this.#handover) return true;
        this.#retire(holder);
      }
    } else {
      id = this.#peers.generate();
    }
    this.#peers.add(id, pipe);
    return true;
  }

  /** Routing: a connect()ed pipe lost its connection and stays. */
  protected override xDisconnected(pipe: Pipe): void {
    this.#forget(pipe);
  }

  /** Routing: a pipe is gone for good. */
  protected override xDetach(pipe: Pipe): void {
    this.#forget(pipe);
  }

  /** Routing: a pipe has messages to read. */
  protected override xReadable(pipe: Pipe): void {
    this.#in.readable(pipe);
  }

  /** Routing: sends one message now, or returns false to wait for room. */
  protected override xSend(message: Message): boolean {
    // A message without a routing id frame followed by data is ignored, as libzmq does.
    if (message.length < 2) return true;
    const pipe = this.#peers.get(message[0]);
    if (pipe === undefined) {
      if (!this.#mandatory) return true;
      throw new ZmqError("EHOSTUNREACH", `no peer with routing id ${describeId(message[0])}`);
    }
    if (!pipe.hasRoom) return !this.#mandatory;
    pipe.send(message.slice(1));
    return true;
  }

  /** Routing: the next message for the application, if any. */
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

  /**
   * ZMQ_ROUTER_HANDOVER: `pipe` loses its routing id to a newcomer. Its
   * unread messages are dropped and, as libzmq closes it, its connection is
   * closed (a connect()ed one reconnects later and may take the id back).
   * An inproc link stays open but is no longer routed: closing it would make
   * an inproc dialer link again at once, and take the id back in a loop.
   */
  #retire(pipe: Pipe): void {
    this.#forget(pipe);
    pipe.routingId = undefined;
    this.#in.remove(pipe);
    while (pipe.read() !== undefined) { /* dropped, as libzmq drops them */ }
    const engine = pipe.engine;
    if (engine instanceof Engine) engine.close(false, 0);
  }

  /** Stops routing to `pipe`; it keeps its id, so messages it delivered before are still read with it. */
  #forget(pipe: Pipe): void {
    // A mandatory send waiting for this peer's room now fails with EHOSTUNREACH, as in libzmq.
    if (this.#peers.remove(pipe) && this.#mandatory) this.wakeSenders();
  }
}

/** A routing id for an error message: as text when printable ASCII, else as hex. */
function describeId(id: Uint8Array): string {
  return id.length > 0 && id.every((byte) => byte >= 0x20 && byte < 0x7f)
    ? `"${fromAscii(id)}"`
    : `0x${toHex(id)}`;
}
