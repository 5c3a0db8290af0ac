import { bytesEqual, toHex } from "../core/bytes.ts";
import { parseEndpoint } from "../core/endpoint.ts";
import { ZmqError } from "../core/errors.ts";
import { FairQueue } from "./fair_queue.ts";
import { type FrameLike, type Message, toMessage } from "./message.ts";
import {
  booleanOption,
  type ConnectOptions,
  type ResolvedOptions,
  routingIdOption,
  type SocketOptions,
} from "./options.ts";
import type { Pipe } from "./pipe.ts";
import { RawEngine } from "./raw_engine.ts";
import { RoutingTable } from "./routing_table.ts";
import { applyTypeOptions } from "./type_options.ts";
import { Socket, type WaitOptions } from "./socket.ts";

/**
 * The options that belong to ZMTP (a handshake, identities, frames,
 * heartbeats): a Stream has none of it, so setting them is refused rather
 * than ignored.
 */
const ZMTP_OPTIONS = [
  "routingId",
  "maxMessageSize",
  "handshakeInterval",
  "heartbeatInterval",
  "heartbeatTimeToLive",
  "heartbeatTimeout",
] as const satisfies readonly (keyof ResolvedOptions)[];

/** The options a Stream handles itself. */
const TYPE_OPTIONS = ["notify"] as const;

/** Options of a Stream: the common ones, less those of ZMTP, plus `notify`. */
export interface StreamOptions extends Omit<SocketOptions, typeof ZMTP_OPTIONS[number]> {
  /**
   * Deliver `[routingId, ""]` when a peer connects and again when it
   * disconnects (ZMQ_STREAM_NOTIFY).
   * @default true
   */
  notify?: boolean;
}

/** Options of `Stream.connect`: the routing id to give the peer (ZMQ_CONNECT_ROUTING_ID). */
export type StreamConnectOptions = ConnectOptions;

/**
 * A STREAM socket (libzmq's ZMQ_STREAM): talks to plain TCP or ipc peers
 * that know nothing of ZeroMQ — no greeting, no framing. Every connection,
 * accepted or connect()ed, is a peer with a routing id: one given with
 * `connect(address, { routingId })`, or one generated as libzmq does (5
 * bytes: `00` and a counter).
 *
 * - `receive()` yields `[routingId, bytes]` for each chunk read (TCP has no
 *   message boundaries: a request may arrive in several chunks), and
 *   `[routingId, ""]` when a peer connects and when it disconnects (see
 *   `notify`).
 * - `send([routingId, bytes])` writes the bytes to that peer; it waits while
 *   the peer is at its high-water mark, and rejects with EHOSTUNREACH for an
 *   unknown routing id (a Stream is always "mandatory").
 * - `send([routingId, ""])` closes that connection once what was sent before
 *   is written, without a disconnect notification; a connect()ed peer closed
 *   this way is not reconnected. A connection the peer ends or loses is
 *   reported, and a connect()ed one is dialled again.
 *
 * A message is exactly two frames; libzmq ignores the MORE flag of the data
 * frame and takes the frame after it as a new routing id, which a
 * whole-message API cannot express, so other lengths are a TypeError.
 * Stream sockets run over tcp:// and ipc:// (inproc:// has no bytes to carry).
 *
 * @example
 * ```ts
 * const server = new Stream();
 * await server.bind("tcp://127.0.0.1:8080");
 * for await (const [id, bytes] of server) {
 *   if (bytes.length === 0) continue; // a peer connected or disconnected
 *   await server.send([id, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi"]);
 *   await server.send([id, ""]); // close the connection
 * }
 * ```
 */
export class Stream extends Socket implements AsyncIterable<Message> {
  readonly #in = new FairQueue();
  readonly #peers = new RoutingTable();
  /** Each connect()ed address, with the routing id it was given, if any. */
  readonly #dialed = new Map<string, Uint8Array | undefined>();
  /** The connect()ed address of each pipe that dials, to stop redialling when it is closed. */
  readonly #dialerOf = new Map<Pipe, string>();
  /** The address being connect()ed, while the base attaches its pipe. */
  #dialing: string | undefined;
  #notify = true;

  /**
   * A new Stream socket, neither bound nor connected.
   * @param options socket options; unknown names throw a TypeError, ZMTP ones ENOTSUP.
   */
  constructor(options?: StreamOptions) {
    super("STREAM", options, TYPE_OPTIONS);
    applyTypeOptions(this, options, TYPE_OPTIONS);
  }

  /**
   * Deliver `[routingId, ""]` when a peer connects and when it disconnects
   * (ZMQ_STREAM_NOTIFY); applies to notifications not yet received.
   * @default true
   */
  get notify(): boolean {
    return this.#notify;
  }
  set notify(value: boolean) {
    this.#notify = booleanOption("notify", value);
  }

  /** Binds a tcp:// or ipc:// endpoint; see `Socket.bind`. */
  override async bind(address: string): Promise<void> {
    assertByteStream(address);
    await super.bind(address);
  }

  /**
   * Connects to a tcp:// or ipc:// endpoint, redialling after a lost
   * connection. With `routingId` (1 to 255 bytes, unique on this socket), the
   * peer is known by it, so data can be sent before the connection is made.
   *
   * @example
   * ```ts
   * stream.connect("tcp://example.com:80", { routingId: "web" });
   * await stream.send(["web", "GET / HTTP/1.0\r\n\r\n"]);
   * ```
   */
  override connect(address: string, options?: StreamConnectOptions): void {
    assertByteStream(address);
    let id: Uint8Array | undefined;
    if (options?.routingId !== undefined) {
      id = routingIdOption(options.routingId);
      // libzmq asserts on a duplicate; an error is kinder.
      if (this.#peers.has(id) || this.#promised(id)) {
        throw new ZmqError("EINVAL", `routing id ${toHex(id)} is already in use on this Stream`);
      }
    }
    this.#dialing = address;
    try {
      super.connect(address, options);
    } finally {
      this.#dialing = undefined;
    }
    this.#dialed.set(address, id);
  }

  /** Stops connecting to an endpoint and closes its connection; see `Socket.disconnect`. */
  override disconnect(address: string): void {
    super.disconnect(address);
    this.#dialed.delete(address);
  }

  /**
   * Writes `data` to the peer with `routingId`, or closes that connection
   * when `data` is empty. Waits while the peer is at its high-water mark;
   * rejects with EHOSTUNREACH when no peer has that routing id.
   */
  send(message: readonly [FrameLike, FrameLike], options?: WaitOptions): Promise<void> {
    if (!Array.isArray(message) || message.length !== 2) {
      const got = Array.isArray(message) ? `${message.length} frames` : typeof message;
      throw new TypeError(`a Stream sends [routingId, data], got ${got}`);
    }
    return this.sendMessage(toMessage(message), options);
  }

  /** Resolves with the next `[routingId, data]`; empty data is a connect or disconnect. */
  receive(options?: WaitOptions): Promise<Message> {
    return this.receiveMessage(options);
  }

  /** Iterates over received messages until the socket closes. */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return this.receivedMessages();
  }

  /** Refuses the options of ZMTP, which a raw connection never uses. */
  protected override setOption(name: keyof ResolvedOptions, value: unknown): void {
    // Runs from the base constructor too: no private field may be touched here.
    if ((ZMTP_OPTIONS as readonly string[]).includes(name)) {
      throw new ZmqError("ENOTSUP", `option ${name} is for ZMTP peers; a Stream speaks raw bytes`);
    }
    super.setOption(name, value);
  }

  /** Routing: a new pipe joins this type's strategies. */
  protected override xAttach(pipe: Pipe): void {
    // Known at once: a raw peer has no handshake to announce anything in.
    this.#peers.add(
      pipe.connectRoutingId ?? this.#peers.generate((id) => this.#promised(id)),
      pipe,
    );
    if (this.#dialing !== undefined) this.#dialerOf.set(pipe, this.#dialing);
  }

  /** Routing: a pipe's peer finished its handshake; false refuses it. */
  protected override xConnected(pipe: Pipe): boolean {
    // With `immediate`, a dialled pipe is made only now; its link's endpoint is the
    // connect()ed address (a Stream connected to its own bound address cannot tell).
    const link = pipe.engine;
    if (!this.#dialerOf.has(pipe) && link instanceof RawEngine && this.#dialed.has(link.endpoint)) {
      this.#dialerOf.set(pipe, link.endpoint);
    }
    return true;
  }

  /** Routing: a pipe is gone for good. */
  protected override xDetach(pipe: Pipe): void {
    this.#peers.remove(pipe);
    this.#dialerOf.delete(pipe);
    // A send waiting for this peer's room now fails with EHOSTUNREACH.
    this.wakeSenders();
  }

  /** Routing: a pipe has messages to read. */
  protected override xReadable(pipe: Pipe): void {
    this.#in.readable(pipe);
  }

  /** Routing: sends one message now, or returns false to wait for room. */
  protected override xSend(message: Message): boolean {
    const [id, data] = message;
    const pipe = this.#peers.get(id);
    if (pipe === undefined) {
      throw new ZmqError("EHOSTUNREACH", `no peer with routing id ${toHex(id)}`);
    }
    if (data.length === 0) {
      this.#close(pipe);
      return true;
    }
    if (!pipe.hasRoom) return false;
    pipe.send([data]);
    return true;
  }

  /** Routing: the next message for the application, if any. */
  protected override xReceive(): Message | undefined {
    for (;;) {
      const message = this.#in.read();
      if (message === undefined) return undefined;
      // Chunks read are never empty: an empty frame is a notification.
      if (message[0].length === 0 && !this.#notify) continue;
      message.unshift(this.#in.lastPipe!.routingId!);
      return message;
    }
  }

  /** Closes a peer's connection at the application's request (empty data). */
  #close(pipe: Pipe): void {
    // As libzmq terminates the pipe: the id is unknown from now on.
    this.#peers.remove(pipe);
    const address = this.#dialerOf.get(pipe);
    const link = pipe.engine;
    if (link instanceof RawEngine) link.close(true, this.linger);
    // libzmq ends a connect()ed peer's session with its pipe: no redialling.
    if (address !== undefined) this.disconnect(address);
  }

  /** Whether a connect()ed endpoint was given `id` (its pipe may not exist yet). */
  #promised(id: Uint8Array): boolean {
    for (const promised of this.#dialed.values()) {
      if (promised !== undefined && bytesEqual(promised, id)) return true;
    }
    return false;
  }
}

/** A Stream carries bytes: inproc, which carries messages, is refused. */
function assertByteStream(address: string): void {
  if (parseEndpoint(address).transport === "inproc") {
    throw new ZmqError("ENOTSUP", `a Stream needs a tcp:// or ipc:// endpoint, got ${address}`);
  }
}
