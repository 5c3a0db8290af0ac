import { type Endpoint, formatEndpoint, parseEndpoint } from "../core/endpoint.ts";
import { ZmqError } from "../core/errors.ts";
import { Deque } from "../core/deque.ts";
import type { Listener } from "../core/transport.ts";
import { resolveTransport } from "../core/transport_registry.ts";
import { NullMechanism } from "../zmtp/null_mechanism.ts";
import type { Metadata } from "../zmtp/metadata.ts";
import type { SessionFailure, SessionOptions } from "../zmtp/session.ts";
import type { SocketTypeName } from "../zmtp/socket_type.ts";
import { Connecter, type ConnecterHost } from "./connecter.ts";
import { Engine, type EngineOwner } from "./engine.ts";
import type { Message } from "./message.ts";
import { defaultOptions, OPTION_CHECKS, type ResolvedOptions } from "./options.ts";
import { Pipe, type PipeOwner } from "./pipe.ts";
import { type SocketEvent, SocketEvents } from "./socket_events.ts";

const RESOLVED: Promise<void> = Promise.resolve();

interface SendWaiter {
  message: Message;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface ReceiveWaiter {
  resolve: (message: Message) => void;
  reject: (error: unknown) => void;
}

/**
 * What every socket type shares: options, bind/connect/close, the pipes to
 * its peers and their connections, monitor events, and the waiting logic of
 * `send` and `receive`. A socket type adds its routing by implementing the
 * `x…` hooks with the strategies (load balancing, fair queueing, fan-out).
 *
 * @example
 * ```ts
 * const socket = new Dealer();
 * await socket.bind("tcp://127.0.0.1:0");
 * console.log(socket.lastEndpoint);
 * socket.close();
 * ```
 */
export abstract class Socket {
  /** Monitor events (libzmq's ZMQ_EVENT_*): `on`/`off` callbacks or `for await`. */
  readonly events: SocketEvents = new SocketEvents();
  readonly #type: SocketTypeName;
  readonly #options: ResolvedOptions = defaultOptions();
  readonly #listeners = new Map<string, Listener>();
  readonly #connecters = new Map<string, Connecter>();
  readonly #engines = new Set<Engine>();
  readonly #sendWaiters = new Deque<SendWaiter>();
  readonly #receiveWaiters = new Deque<ReceiveWaiter>();
  #lastEndpoint: string | null = null;
  #closed = false;
  #wakingSenders = false;
  readonly #engineOwner: EngineOwner;
  readonly #pipeOwner: PipeOwner;
  readonly #connecterHost: ConnecterHost;

  /**
   * @param type the socket type announced to peers.
   * @param options constructor options; unknown names are a TypeError.
   * @param extraOptions option names the subclass handles itself.
   */
  protected constructor(
    type: SocketTypeName,
    options: object | undefined,
    extraOptions: readonly string[] = [],
  ) {
    this.#type = type;
    this.#engineOwner = {
      engineReady: (engine, peer) => this.#engineReady(engine, peer),
      engineSubscription: (engine, subscribe, topic) => {
        if (engine.pipe !== undefined) this.xSubscription(engine.pipe, subscribe, topic);
      },
      engineClosed: (engine, error, failure) => this.#engineClosed(engine, error, failure),
    };
    this.#pipeOwner = {
      pipeReadable: (pipe) => {
        this.xReadable(pipe);
        this.#wakeReceivers();
      },
      pipeWritable: () => this.#wakeSenders(),
    };
    this.#connecterHost = {
      createEngine: (address) => this.#createEngine(address),
      emit: (event) => this.events.emit(event),
      reconnectInterval: () => this.#options.reconnectInterval,
      reconnectMaxInterval: () => this.#options.reconnectMaxInterval,
    };
    if (options !== undefined) {
      for (const [name, value] of Object.entries(options)) {
        if (name in OPTION_CHECKS) {
          this.setOption(name as keyof ResolvedOptions, value);
        } else if (!extraOptions.includes(name)) {
          throw new TypeError(`unknown option "${name}" for a ${type} socket`);
        }
      }
    }
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The endpoint last bound, with the real port (ZMQ_LAST_ENDPOINT); null before any bind. */
  get lastEndpoint(): string | null {
    return this.#lastEndpoint;
  }

  /** The socket type as announced to peers, e.g. `DEALER`. */
  get type(): SocketTypeName {
    return this.#type;
  }

  /** Our routing id (ZMQ_ROUTING_ID). @default none */
  get routingId(): Uint8Array | null {
    return this.#options.routingId.length === 0 ? null : this.#options.routingId;
  }
  set routingId(value: string | Uint8Array | null) {
    this.setOption("routingId", value);
  }

  /** Messages queued per peer before sending blocks or drops (ZMQ_SNDHWM). @default 1000 */
  get sendHighWaterMark(): number {
    return this.#options.sendHighWaterMark;
  }
  set sendHighWaterMark(value: number) {
    this.setOption("sendHighWaterMark", value);
  }

  /** Messages queued from each peer before reading from it pauses (ZMQ_RCVHWM). @default 1000 */
  get receiveHighWaterMark(): number {
    return this.#options.receiveHighWaterMark;
  }
  set receiveHighWaterMark(value: number) {
    this.setOption("receiveHighWaterMark", value);
  }

  /** Largest accepted frame in bytes, -1 for none (ZMQ_MAXMSGSIZE). @default -1 */
  get maxMessageSize(): number {
    return this.#options.maxMessageSize;
  }
  set maxMessageSize(value: number) {
    this.setOption("maxMessageSize", value);
  }

  /** Milliseconds allowed for a peer's handshake, 0 for no limit (ZMQ_HANDSHAKE_IVL). @default 30000 */
  get handshakeInterval(): number {
    return this.#options.handshakeInterval;
  }
  set handshakeInterval(value: number) {
    this.setOption("handshakeInterval", value);
  }

  /** Milliseconds between our PINGs, 0 for none (ZMQ_HEARTBEAT_IVL). @default 0 */
  get heartbeatInterval(): number {
    return this.#options.heartbeatInterval;
  }
  set heartbeatInterval(value: number) {
    this.setOption("heartbeatInterval", value);
  }

  /** Time-to-live in ms that peers apply to our heartbeats (ZMQ_HEARTBEAT_TTL). @default 0 */
  get heartbeatTimeToLive(): number {
    return this.#options.heartbeatTimeToLive;
  }
  set heartbeatTimeToLive(value: number) {
    this.setOption("heartbeatTimeToLive", value);
  }

  /** Milliseconds of silence after a PING before disconnecting, -1 for the interval (ZMQ_HEARTBEAT_TIMEOUT). @default -1 */
  get heartbeatTimeout(): number {
    return this.#options.heartbeatTimeout;
  }
  set heartbeatTimeout(value: number) {
    this.setOption("heartbeatTimeout", value);
  }

  /** Milliseconds before reconnecting, -1 for never (ZMQ_RECONNECT_IVL). @default 100 */
  get reconnectInterval(): number {
    return this.#options.reconnectInterval;
  }
  set reconnectInterval(value: number) {
    this.setOption("reconnectInterval", value);
  }

  /** Upper bound of the reconnect backoff in ms, 0 for none (ZMQ_RECONNECT_IVL_MAX). @default 0 */
  get reconnectMaxInterval(): number {
    return this.#options.reconnectMaxInterval;
  }
  set reconnectMaxInterval(value: number) {
    this.setOption("reconnectMaxInterval", value);
  }

  /** Milliseconds `close()` spends sending queued messages, -1 for no limit (ZMQ_LINGER). @default -1 */
  get linger(): number {
    return this.#options.linger;
  }
  set linger(value: number) {
    this.setOption("linger", value);
  }

  /**
   * Binds to an endpoint and accepts peers on it. `tcp://*:0` or
   * `tcp://127.0.0.1:0` picks a free port: read it back from `lastEndpoint`.
   *
   * @example
   * ```ts
   * await socket.bind("tcp://127.0.0.1:0");
   * const address = socket.lastEndpoint; // "tcp://127.0.0.1:41234"
   * ```
   */
  async bind(address: string): Promise<void> {
    this.#assertOpen();
    const endpoint = parseEndpoint(address);
    if (this.#listeners.has(address)) {
      throw new ZmqError("EADDRINUSE", `already bound to ${address}`);
    }
    const transport = await resolveTransport(endpoint);
    let listener: Listener;
    try {
      listener = await transport.listen(endpoint, (connection) => {
        const engine = this.#createEngine(listener?.address ?? address);
        this.events.emit({
          type: "accept",
          address: engine.endpoint,
          peer: connection.remoteAddress,
        });
        return engine.bind(connection);
      });
    } catch (error) {
      this.events.emit({ type: "bind:error", address, error: asZmqError(error, address) });
      throw error;
    }
    if (this.#closed) {
      await listener.close();
      throw new ZmqError("ENOTSOCK", "the socket was closed while binding");
    }
    this.#listeners.set(address, listener);
    if (listener.address !== address) this.#listeners.set(listener.address, listener);
    this.#lastEndpoint = listener.address;
    this.events.emit({ type: "bind", address: listener.address });
  }

  /**
   * Stops accepting peers on an endpoint bound earlier (by the address given
   * to `bind` or the one read back). Connections already accepted stay.
   *
   * @example
   * ```ts
   * await socket.unbind(socket.lastEndpoint!);
   * ```
   */
  async unbind(address: string): Promise<void> {
    this.#assertOpen();
    const listener = this.#listeners.get(address);
    if (listener === undefined) throw new ZmqError("ENOENT", `not bound to ${address}`);
    for (const [key, value] of this.#listeners) if (value === listener) this.#listeners.delete(key);
    await this.#closeListener(listener);
  }

  #closeListener(listener: Listener): Promise<void> {
    return listener.close().then(
      () => this.events.emit({ type: "close", address: listener.address }),
      (error) =>
        this.events.emit({
          type: "close:error",
          address: listener.address,
          error: asZmqError(error, listener.address),
        }),
    );
  }

  /**
   * Connects to an endpoint, now and again after every lost connection. The
   * pipe to that peer exists at once, so messages sent before the connection
   * is made are queued (except where the socket type drops them).
   *
   * @example
   * ```ts
   * socket.connect("tcp://127.0.0.1:5555");
   * ```
   */
  connect(address: string): void {
    this.#assertOpen();
    const endpoint: Endpoint = parseEndpoint(address);
    if (endpoint.transport === "tcp" && endpoint.host === "*") {
      throw new ZmqError("EINVAL", `cannot connect to a wildcard address: ${address}`);
    }
    if (this.#connecters.has(address)) {
      throw new ZmqError("EINVAL", `already connected to ${address}`);
    }
    const pipe = new Pipe(
      this.#pipeOwner,
      this.#options.sendHighWaterMark,
      this.#options.receiveHighWaterMark,
    );
    const connecter = new Connecter(this.#connecterHost, endpoint, address, pipe);
    this.#connecters.set(address, connecter);
    this.xAttach(pipe);
    this.#wakeSenders();
    connecter.start();
  }

  /**
   * Stops connecting to an endpoint and closes its connection; messages
   * still queued for it are dropped.
   *
   * @example
   * ```ts
   * socket.disconnect("tcp://127.0.0.1:5555");
   * ```
   */
  disconnect(address: string): void {
    this.#assertOpen();
    const connecter = this.#connecters.get(address);
    if (connecter === undefined) throw new ZmqError("ENOENT", `not connected to ${address}`);
    this.#connecters.delete(address);
    connecter.stop(false, 0);
    if (connecter.pipe !== undefined) this.#dropPipe(connecter.pipe);
  }

  /**
   * Closes the socket: stops binding and connecting, writes what is queued
   * for connected peers (unless `linger` is 0), then closes every
   * connection. Pending `send`s and `receive`s reject.
   *
   * @example
   * ```ts
   * socket.close();
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const linger = this.#options.linger;
    const drain = linger !== 0;
    const closing = [...new Set(this.#listeners.values())].map((listener) =>
      this.#closeListener(listener)
    );
    this.#listeners.clear();
    for (const connecter of this.#connecters.values()) connecter.stop(drain, linger);
    this.#connecters.clear();
    for (const engine of [...this.#engines]) engine.close(drain, linger);
    const error = new ZmqError("ENOTSOCK", "the socket was closed");
    for (let w = this.#sendWaiters.shift(); w; w = this.#sendWaiters.shift()) w.reject(error);
    for (let w = this.#receiveWaiters.shift(); w; w = this.#receiveWaiters.shift()) w.reject(error);
    // "end" comes last, once every listener has reported its "close".
    void Promise.all(closing).then(() => this.events.emit({ type: "end" }));
  }

  /** Closes the socket at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return RESOLVED;
  }

  /** Validates and stores an option. */
  protected setOption(name: keyof ResolvedOptions, value: unknown): void {
    (this.#options as unknown as Record<string, unknown>)[name] = OPTION_CHECKS[name](value);
  }

  /**
   * Sends a message through the type's routing (`xSend`), waiting for room
   * when it cannot be queued now. Calls keep their order.
   */
  protected sendMessage(message: Message): Promise<void> {
    if (this.#closed) return Promise.reject(new ZmqError("ENOTSOCK", "the socket is closed"));
    if (this.#sendWaiters.length === 0 && this.xSend(message)) return RESOLVED;
    return new Promise((resolve, reject) => this.#sendWaiters.push({ message, resolve, reject }));
  }

  /** Receives the next message from the type's routing (`xReceive`), waiting for one. */
  protected receiveMessage(): Promise<Message> {
    if (this.#closed) return Promise.reject(new ZmqError("ENOTSOCK", "the socket is closed"));
    if (this.#receiveWaiters.length === 0) {
      const message = this.xReceive();
      if (message !== undefined) return Promise.resolve(message);
    }
    return new Promise((resolve, reject) => this.#receiveWaiters.push({ resolve, reject }));
  }

  /** Every pipe that currently has a ready connection. */
  protected *connectedPipes(): IterableIterator<Pipe> {
    for (const engine of this.#engines) if (engine.ready && engine.pipe) yield engine.pipe;
  }

  /** Routing hook: a new pipe (connect()ed, or accepted and ready). */
  protected abstract xAttach(pipe: Pipe): void;
  /** Routing hook: a pipe is gone for good. */
  protected abstract xDetach(pipe: Pipe): void;
  /**
   * Routing hook: a pipe's peer finished its handshake (`pipe.peerMetadata`
   * is set, the connection is attached). Returning false refuses the peer.
   */
  protected xConnected(_pipe: Pipe): boolean {
    return true;
  }
  /** Routing hook: a connect()ed pipe lost its connection (the pipe stays). */
  protected xDisconnected(_pipe: Pipe): void {}
  /** Routing hook: a pipe has inbound messages. */
  protected xReadable(_pipe: Pipe): void {}
  /** Routing hook: sends now or returns false to wait. */
  protected xSend(_message: Message): boolean {
    throw new ZmqError("ENOTSUP", `a ${this.#type} socket cannot send`);
  }
  /** Routing hook: the next message for the application, if any. */
  protected xReceive(): Message | undefined {
    throw new ZmqError("ENOTSUP", `a ${this.#type} socket cannot receive`);
  }
  /** Routing hook: the peer sent a SUBSCRIBE/CANCEL command. */
  protected xSubscription(_pipe: Pipe, _subscribe: boolean, _topic: Uint8Array): void {}

  /** Retries queued sends after room appeared. */
  protected wakeSenders(): void {
    this.#wakeSenders();
  }

  #wakeSenders(): void {
    // Sending can drain a pipe, which reports room again: that nested call has nothing to add.
    if (this.#wakingSenders) return;
    this.#wakingSenders = true;
    try {
      while (this.#sendWaiters.length > 0) {
        const waiter = this.#sendWaiters.peek()!;
        if (!this.xSend(waiter.message)) return;
        this.#sendWaiters.shift();
        waiter.resolve();
      }
    } finally {
      this.#wakingSenders = false;
    }
  }

  #wakeReceivers(): void {
    while (this.#receiveWaiters.length > 0) {
      const message = this.xReceive();
      if (message === undefined) return;
      this.#receiveWaiters.shift()!.resolve(message);
    }
  }

  #createEngine(address: string): Engine {
    const options = this.#options;
    const sessionOptions: SessionOptions = {
      socketType: this.#type,
      routingId: options.routingId,
      mechanism: new NullMechanism(),
      maxMessageSize: options.maxMessageSize,
      handshakeInterval: options.handshakeInterval,
      heartbeatInterval: options.heartbeatInterval,
      heartbeatTimeToLive: options.heartbeatTimeToLive,
      heartbeatTimeout: options.heartbeatTimeout,
    };
    const engine = new Engine(this.#engineOwner, sessionOptions, address);
    this.#engines.add(engine);
    return engine;
  }

  #engineReady(engine: Engine, peer: Metadata): Pipe | undefined {
    const connecter = this.#connecters.get(engine.endpoint);
    const persistent = connecter !== undefined && connecter.engine === engine
      ? connecter.pipe
      : undefined;
    const pipe = persistent ??
      new Pipe(
        this.#pipeOwner,
        this.#options.sendHighWaterMark,
        this.#options.receiveHighWaterMark,
      );
    pipe.peerMetadata = peer;
    if (persistent === undefined) this.xAttach(pipe);
    engine.attachPipe(pipe);
    if (!this.xConnected(pipe)) {
      if (persistent === undefined) this.#dropPipe(pipe);
      return undefined;
    }
    this.events.emit({ type: "handshake", address: engine.endpoint, peer: engine.peerAddress });
    this.#wakeSenders();
    return pipe;
  }

  #engineClosed(
    engine: Engine,
    error: ZmqError | undefined,
    failure: SessionFailure | undefined,
  ): void {
    this.#engines.delete(engine);
    const address = engine.endpoint;
    const peer = engine.peerAddress;
    if (failure === "protocol") {
      this.events.emit({ type: "handshake:error:protocol", address, peer, error });
    } else if (failure === "auth") {
      this.events.emit({ type: "handshake:error:auth", address, peer, error });
    }
    const pipe = engine.pipe;
    const connecter = this.#connecters.get(address);
    if (pipe !== undefined) {
      if (connecter !== undefined && connecter.pipe === pipe) this.xDisconnected(pipe);
      else this.#dropPipe(pipe);
    }
    if (peer !== undefined && !this.#closed) {
      this.events.emit({ type: "disconnect", address, peer, error });
    }
    connecter?.engineClosed(engine, failure);
  }

  /** Ends a pipe: the socket stops routing to it; messages it already delivered stay readable. */
  #dropPipe(pipe: Pipe): void {
    if (pipe.terminated) return;
    pipe.terminated = true;
    this.xDetach(pipe);
  }

  #assertOpen(): void {
    if (this.#closed) throw new ZmqError("ENOTSOCK", "the socket is closed");
  }
}

function asZmqError(error: unknown, address: string): ZmqError {
  if (error instanceof ZmqError) return error;
  return new ZmqError("EINVAL", `cannot bind ${address}`, { cause: error });
}

/** Formats an endpoint for messages; re-exported for socket types. */
export { formatEndpoint };
export type { SocketEvent };
