import { type Endpoint, parseEndpoint } from "../core/endpoint.ts";
import { ZmqError } from "../core/errors.ts";
import { fromUtf8 } from "../core/bytes.ts";
import { Deque } from "../core/deque.ts";
import { z85Encode } from "../core/z85.ts";
import { Waiter } from "../core/waiter.ts";
import type { Listener } from "../core/transport.ts";
import { resolveTransport } from "../core/transport_registry.ts";
import type { CurveCrypto } from "../zmtp/curve_crypto.ts";
import type { MechanismName } from "../zmtp/greeting.ts";
import { Metadata } from "../zmtp/metadata.ts";
import type { ZapReply, ZapRequest } from "../zmtp/zap.ts";
import { loadCurveCrypto } from "./curve_loader.ts";
import { createMechanism, mechanismName, validateSecurity } from "./security.ts";
import { askZap } from "./zap_client.ts";
import { localMetadata, type SessionFailure, type SessionOptions } from "../zmtp/session.ts";
import type { SocketTypeName } from "../zmtp/socket_type.ts";
import { Connecter, type ConnecterHost, type ConnectionLink } from "./connecter.ts";
import { Engine } from "./engine.ts";
import { bindInproc, InprocDialer, InprocEnd, type InprocSide, unbindInproc } from "./inproc.ts";
import type { Dialer, Link, LinkOwner } from "./link.ts";
import type { Message } from "./message.ts";
import { RawEngine } from "./raw_engine.ts";
import { messageIterator } from "./readable.ts";
import {
  CONFLATING_TYPES,
  type ConnectOptions,
  defaultOptions,
  OPTION_CHECKS,
  type ResolvedOptions,
  routingIdOption,
} from "./options.ts";
import { Pipe, type PipeOwner } from "./pipe.ts";
import { SocketEvents } from "./socket_events.ts";

/**
 * The settled promise `sendMessage` returns for a message routed at once; a
 * socket type can compare with it to skip tracking a send that is done.
 */
export const RESOLVED: Promise<void> = Promise.resolve();

/** A `send` waiting for room: the message goes out when the waiter's turn comes. */
class SendWaiter extends Waiter<void> {
  readonly message: Message;
  constructor(message: Message, timeout: number, signal: AbortSignal | undefined) {
    super(timeout, signal, sendTimeoutError);
    this.message = message;
  }
}

/** What a call that may wait accepts. */
export interface WaitOptions {
  /** Cancels the wait: the call rejects with the signal's reason. */
  signal?: AbortSignal;
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
  readonly #dialers = new Map<string, Dialer>();
  readonly #links = new Set<Link>();
  readonly #sendWaiters = new Deque<SendWaiter>();
  readonly #receiveWaiters = new Deque<Waiter<Message>>();
  #lastEndpoint: string | null = null;
  #closed = false;
  #curveCrypto: CurveCrypto | undefined;
  #wakingSenders = false;
  readonly #linkOwner: LinkOwner;
  readonly #pipeOwner: PipeOwner;
  readonly #connecterHost: ConnecterHost;
  readonly #inprocSide: InprocSide;

  /**
   * Sets up what every socket type shares.
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
    this.#linkOwner = {
      linkReady: (link, peer) => this.#linkReady(link, peer),
      linkSubscription: (link, subscribe, topic) => {
        if (link.pipe !== undefined) this.xSubscription(link.pipe, subscribe, topic);
      },
      linkClosed: (link, error, failure) => this.#linkClosed(link, error, failure),
      linkAuthenticate: (link, credentials, signal) =>
        this.#authenticate(link, credentials, signal),
    };
    this.#pipeOwner = {
      pipeReadable: (pipe) => {
        this.xReadable(pipe);
        this.#wakeReceivers();
      },
      pipeWritable: () => this.#wakeSenders(),
    };
    this.#connecterHost = {
      createEngine: (address) => this.#createEngine(address, false),
      emit: (event) => this.events.emit(event),
      reconnectInterval: () => this.#options.reconnectInterval,
      reconnectMaxInterval: () => this.#options.reconnectMaxInterval,
    };
    const resolved = this.#options;
    this.#inprocSide = {
      owner: this.#linkOwner,
      socketType: type,
      // Read at link time: the routing id may be set after construction.
      get metadata() {
        return localMetadata(type, resolved.routingId);
      },
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

  /** Milliseconds `send()` waits for room before EAGAIN, -1 for ever, 0 never (ZMQ_SNDTIMEO). @default -1 */
  get sendTimeout(): number {
    return this.#options.sendTimeout;
  }
  set sendTimeout(value: number) {
    this.setOption("sendTimeout", value);
  }

  /** Milliseconds `receive()` waits for a message before EAGAIN, -1 for ever, 0 never (ZMQ_RCVTIMEO). @default -1 */
  get receiveTimeout(): number {
    return this.#options.receiveTimeout;
  }
  set receiveTimeout(value: number) {
    this.setOption("receiveTimeout", value);
  }

  /**
   * Keep only the newest message in each queue (ZMQ_CONFLATE), for Push, Pull, Publisher,
   * Subscriber and Dealer, with single-frame messages. Applies to pipes made afterwards.
   * @default false
   */
  get conflate(): boolean {
    return this.#options.conflate;
  }
  set conflate(value: boolean) {
    this.setOption("conflate", value);
  }

  /** Be the PLAIN server (ZMQ_PLAIN_SERVER). @default false */
  get plainServer(): boolean {
    return this.#options.plainServer;
  }
  set plainServer(value: boolean) {
    this.setOption("plainServer", value);
  }

  /** The PLAIN client's username (ZMQ_PLAIN_USERNAME). @default null */
  get plainUsername(): string | null {
    return textOrNull(this.#options.plainUsername);
  }
  set plainUsername(value: string | Uint8Array | null) {
    this.setOption("plainUsername", value);
  }

  /** The PLAIN client's password (ZMQ_PLAIN_PASSWORD). @default null */
  get plainPassword(): string | null {
    return textOrNull(this.#options.plainPassword);
  }
  set plainPassword(value: string | Uint8Array | null) {
    this.setOption("plainPassword", value);
  }

  /** Be the CURVE server (ZMQ_CURVE_SERVER). @default false */
  get curveServer(): boolean {
    return this.#options.curveServer;
  }
  set curveServer(value: boolean) {
    this.setOption("curveServer", value);
  }

  /** Our CURVE public key, in Z85 (ZMQ_CURVE_PUBLICKEY). @default null */
  get curvePublicKey(): string | null {
    return z85OrNull(this.#options.curvePublicKey);
  }
  set curvePublicKey(value: string | Uint8Array | null) {
    this.setOption("curvePublicKey", value);
  }

  /** Our CURVE secret key, in Z85 (ZMQ_CURVE_SECRETKEY). @default null */
  get curveSecretKey(): string | null {
    return z85OrNull(this.#options.curveSecretKey);
  }
  set curveSecretKey(value: string | Uint8Array | null) {
    this.setOption("curveSecretKey", value);
  }

  /** The CURVE server's public key, in Z85 (ZMQ_CURVE_SERVERKEY). @default null */
  get curveServerKey(): string | null {
    return z85OrNull(this.#options.curveServerKey);
  }
  set curveServerKey(value: string | Uint8Array | null) {
    this.setOption("curveServerKey", value);
  }

  /** The ZAP domain (ZMQ_ZAP_DOMAIN). @default "" */
  get zapDomain(): string {
    return this.#options.zapDomain;
  }
  set zapDomain(value: string | null) {
    this.setOption("zapDomain", value);
  }

  /** The security mechanism the options select: `NULL`, `PLAIN` or `CURVE`. */
  get securityMechanism(): "NULL" | "PLAIN" | "CURVE" {
    return mechanismName(this.#options);
  }

  /** Queue only for peers whose connection is complete (ZMQ_IMMEDIATE). @default false */
  get immediate(): boolean {
    return this.#options.immediate;
  }
  set immediate(value: boolean) {
    this.setOption("immediate", value);
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
    await this.#prepareSecurity();
    if (this.#listeners.has(address)) {
      throw new ZmqError("EADDRINUSE", `already bound to ${address}`);
    }
    if (endpoint.transport === "inproc") return this.#bindInproc(endpoint.name, address);
    const transport = await resolveTransport(endpoint);
    let listener: Listener;
    try {
      listener = await transport.listen(endpoint, (connection) => {
        const engine = this.#createEngine(listener?.address ?? address, true);
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

  #bindInproc(name: string, address: string): void {
    const accept = (): InprocEnd => this.#track(new InprocEnd(this.#inprocSide, address));
    bindInproc(name, accept);
    const listener: Listener = {
      address,
      close: () => {
        unbindInproc(name, accept);
        return RESOLVED;
      },
    };
    this.#listeners.set(address, listener);
    this.#lastEndpoint = address;
    this.events.emit({ type: "bind", address });
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
  connect(address: string, options?: ConnectOptions): void {
    this.#assertOpen();
    const endpoint: Endpoint = parseEndpoint(address);
    if (endpoint.transport === "tcp" && endpoint.host === "*") {
      throw new ZmqError("EINVAL", `cannot connect to a wildcard address: ${address}`);
    }
    if (this.#dialers.has(address)) {
      throw new ZmqError("EINVAL", `already connected to ${address}`);
    }
    let routingId: Uint8Array | undefined;
    if (options?.routingId !== undefined) {
      if (this.#type !== "ROUTER" && this.#type !== "STREAM") {
        throw new ZmqError(
          "ENOTSUP",
          `a routing id on connect is for Router and Stream sockets, not ${this.#type}`,
        );
      }
      routingId = routingIdOption(options.routingId);
    }
    // Without `immediate`, the pipe exists from now on, so messages queue before the connection.
    const pipe = this.#options.immediate ? undefined : this.#newPipe();
    const dialer: Dialer = endpoint.transport === "inproc"
      ? new InprocDialer(this.#inprocSide, endpoint.name, address, pipe, routingId)
      : new Connecter(this.#connecterHost, endpoint, address, pipe, routingId);
    this.#dialers.set(address, dialer);
    if (pipe !== undefined) {
      pipe.connectRoutingId = routingId;
      this.xAttach(pipe);
      this.#wakeSenders();
    }
    validateSecurity(this.#options);
    if (mechanismName(this.#options) === "CURVE" && this.#curveCrypto === undefined) {
      // The CURVE primitives load once, asynchronously; dial as soon as they are there.
      this.#prepareSecurity().then(
        () => {
          if (this.#dialers.get(address) === dialer) dialer.start();
        },
        (error) =>
          this.events.emit({ type: "connect:delay", address, error: asZmqError(error, address) }),
      );
    } else {
      dialer.start();
    }
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
    const dialer = this.#dialers.get(address);
    if (dialer === undefined) throw new ZmqError("ENOENT", `not connected to ${address}`);
    this.#dialers.delete(address);
    dialer.stop(false, 0);
    if (dialer.pipe !== undefined) this.#dropPipe(dialer.pipe);
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
    // Rejected before the pipes drain: the room that draining makes must not send them.
    const error = new ZmqError("ENOTSOCK", "the socket was closed");
    for (let w = this.#sendWaiters.shift(); w; w = this.#sendWaiters.shift()) w.reject(error);
    for (let w = this.#receiveWaiters.shift(); w; w = this.#receiveWaiters.shift()) w.reject(error);
    for (const dialer of this.#dialers.values()) dialer.stop(drain, linger);
    this.#dialers.clear();
    for (const link of [...this.#links]) link.close(drain, linger);
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
    const checked = OPTION_CHECKS[name](value);
    if (name === "conflate" && checked === true && !CONFLATING_TYPES.includes(this.#type)) {
      throw new ZmqError("ENOTSUP", `conflate is not supported on a ${this.#type} socket`);
    }
    (this.#options as unknown as Record<string, unknown>)[name] = checked;
  }

  /**
   * Sends a message through the type's routing (`xSend`), waiting for room
   * when it cannot be queued now. Calls keep their order.
   */
  protected sendMessage(message: Message, options?: WaitOptions): Promise<void> {
    if (this.#closed) return Promise.reject(new ZmqError("ENOTSOCK", "the socket is closed"));
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    dropSettled(this.#sendWaiters);
    if (this.#sendWaiters.length === 0) {
      try {
        if (this.xSend(message)) return RESOLVED;
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const timeout = this.#options.sendTimeout;
    if (timeout === 0) {
      return Promise.reject(
        new ZmqError("EAGAIN", "cannot send now: every peer is at its high-water mark"),
      );
    }
    const waiter = new SendWaiter(message, timeout, signal);
    this.#sendWaiters.push(waiter);
    return waiter.promise;
  }

  /**
   * Receives the next message from the type's routing (`xReceive`), waiting
   * for one up to `receiveTimeout`.
   */
  protected receiveMessage(options?: WaitOptions): Promise<Message> {
    if (this.#closed) return Promise.reject(new ZmqError("ENOTSOCK", "the socket is closed"));
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    dropSettled(this.#receiveWaiters);
    if (this.#receiveWaiters.length === 0) {
      try {
        const message = this.xReceive();
        if (message !== undefined) return Promise.resolve(message);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const timeout = this.#options.receiveTimeout;
    if (timeout === 0) return Promise.reject(new ZmqError("EAGAIN", "no message to receive now"));
    const waiter = new Waiter<Message>(timeout, signal, receiveTimeoutError);
    this.#receiveWaiters.push(waiter);
    return waiter.promise;
  }

  /**
   * The next message if one is queued and no `receive` waits before it;
   * undefined otherwise, including when the socket is closed or cannot
   * receive (`receiveMessage` then reports why). Never waits, never throws.
   */
  protected receiveNow(): Message | undefined {
    if (this.#closed || this.#receiveWaiters.length > 0) return undefined;
    try {
      return this.xReceive();
    } catch {
      return undefined;
    }
  }

  /**
   * `receive` for a type that allows one at a time, and only in its turn
   * (Request, Reply): rejects with EFSM, `busy` as the message, while another
   * receive waits, or `outOfTurn` when given. A closed socket rejects as
   * `receiveMessage` does.
   */
  protected receiveInTurn(
    busy: string,
    outOfTurn: string | undefined,
    options: WaitOptions | undefined,
  ): Promise<Message> {
    if (!this.#closed) {
      dropSettled(this.#receiveWaiters);
      const refusal = this.#receiveWaiters.length > 0 ? busy : outOfTurn;
      if (refusal !== undefined) return Promise.reject(new ZmqError("EFSM", refusal));
    }
    return this.receiveMessage(options);
  }

  /**
   * The async iterator of a type whose `receive` is `receiveMessage`: each
   * step receives, a message already queued is taken without waiting, and
   * the iteration ends when the socket closes.
   */
  protected receivedMessages(): AsyncIterator<Message> {
    return messageIterator(() => this.receiveMessage(), () => this.receiveNow());
  }

  /** Every pipe that currently has a ready connection. */
  protected *connectedPipes(): IterableIterator<Pipe> {
    for (const link of this.#links) if (link.ready && link.pipe) yield link.pipe;
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

  /** Hands messages to waiting receives after the type made some without a pipe turning readable. */
  protected wakeReceivers(): void {
    this.#wakeReceivers();
  }

  #wakeSenders(): void {
    // Sending can drain a pipe, which reports room again: that nested call has nothing to add.
    if (this.#wakingSenders) return;
    this.#wakingSenders = true;
    try {
      while (this.#sendWaiters.length > 0) {
        const waiter = this.#sendWaiters.peek()!;
        if (!waiter.settled) {
          try {
            if (!this.xSend(waiter.message)) return;
            waiter.resolve();
          } catch (error) {
            waiter.reject(error);
          }
        }
        this.#sendWaiters.shift();
      }
    } finally {
      this.#wakingSenders = false;
    }
  }

  #wakeReceivers(): void {
    while (this.#receiveWaiters.length > 0) {
      const waiter = this.#receiveWaiters.peek()!;
      if (!waiter.settled) {
        const message = this.xReceive();
        if (message === undefined) return;
        waiter.resolve(message);
      }
      this.#receiveWaiters.shift();
    }
  }

  #createEngine(address: string, accepted: boolean): ConnectionLink {
    // A Stream talks to raw TCP peers: no greeting, no framing (ZMQ_STREAM).
    if (this.#type === "STREAM") return this.#track(new RawEngine(this.#linkOwner, address));
    const options = this.#options;
    const sessionOptions: SessionOptions = {
      socketType: this.#type,
      routingId: options.routingId,
      // With NULL, a ZAP domain puts accepted peers through ZAP, as in libzmq.
      mechanism: createMechanism(
        options,
        () => this.#curveCrypto!,
        accepted && options.zapDomain !== "",
      ),
      maxMessageSize: options.maxMessageSize,
      handshakeInterval: options.handshakeInterval,
      heartbeatInterval: options.heartbeatInterval,
      heartbeatTimeToLive: options.heartbeatTimeToLive,
      heartbeatTimeout: options.heartbeatTimeout,
    };
    return this.#track(new Engine(this.#linkOwner, sessionOptions, address));
  }

  /** Loads the CURVE primitives once, when the options ask for CURVE. */
  async #prepareSecurity(): Promise<void> {
    validateSecurity(this.#options);
    if (mechanismName(this.#options) !== "CURVE" || this.#curveCrypto !== undefined) return;
    this.#curveCrypto = await loadCurveCrypto();
  }

  /** Puts a peer to the ZAP handler, with libzmq's rule for when none is bound. */
  async #authenticate(
    link: Link & { readonly mechanism: MechanismName },
    credentials: readonly Uint8Array[],
    signal: AbortSignal,
  ): Promise<ZapReply | ZmqError> {
    const options = this.#options;
    const request: ZapRequest = {
      domain: options.zapDomain,
      address: hostOf(link.peerAddress ?? ""),
      routingId: options.routingId,
      mechanism: link.mechanism,
      credentials,
    };
    try {
      const reply = await askZap(request, signal);
      if (reply !== undefined) return reply;
    } catch (error) {
      return asZmqError(error, link.endpoint);
    }
    // No handler bound: libzmq refuses PLAIN clients (closing without a word) and accepts
    // CURVE clients with a valid handshake and NULL peers.
    return link.mechanism === "PLAIN"
      ? {
        statusCode: "300",
        statusText: "no ZAP handler is bound",
        userId: "",
        metadata: new Metadata(),
      }
      : { statusCode: "200", statusText: "", userId: "", metadata: new Metadata() };
  }

  #track<T extends Link>(link: T): T {
    this.#links.add(link);
    return link;
  }

  #newPipe(): Pipe {
    const options = this.#options;
    return new Pipe(
      this.#pipeOwner,
      options.sendHighWaterMark,
      options.receiveHighWaterMark,
      options.conflate,
    );
  }

  /** The dialer that made `link`, if it was made by dialing. */
  #dialerOf(link: Link): Dialer | undefined {
    const dialer = this.#dialers.get(link.endpoint);
    return dialer !== undefined && dialer.link === link ? dialer : undefined;
  }

  #linkReady(link: Link, peer: Metadata): Pipe | undefined {
    // An inproc dialer's link is tracked here, when it first reports.
    this.#links.add(link);
    const dialer = this.#dialerOf(link);
    const persistent = dialer?.pipe;
    const pipe = persistent ?? this.#newPipe();
    pipe.peerMetadata = peer;
    pipe.connectRoutingId = dialer?.routingId;
    if (persistent === undefined) this.xAttach(pipe);
    link.attachPipe(pipe);
    if (!this.xConnected(pipe)) {
      if (persistent === undefined) this.#dropPipe(pipe);
      return undefined;
    }
    this.events.emit({
      type: "handshake",
      address: link.endpoint,
      peer: link.peerAddress,
      properties: new Map(peer.entries()),
    });
    this.#wakeSenders();
    return pipe;
  }

  #linkClosed(link: Link, error: ZmqError | undefined, failure: SessionFailure | undefined): void {
    this.#links.delete(link);
    const address = link.endpoint;
    const peer = link.peerAddress;
    if (failure === "protocol") {
      this.events.emit({ type: "handshake:error:protocol", address, peer, error });
    } else if (failure === "auth") {
      this.events.emit({ type: "handshake:error:auth", address, peer, error });
    }
    const dialer = this.#dialers.get(address);
    const pipe = link.pipe;
    if (pipe !== undefined) {
      if (dialer !== undefined && dialer.pipe === pipe) this.xDisconnected(pipe);
      else this.#dropPipe(pipe);
    }
    if (peer !== undefined && !this.#closed) {
      this.events.emit({ type: "disconnect", address, peer, error });
    }
    dialer?.linkClosed(link, failure);
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

function sendTimeoutError(timeout: number): ZmqError {
  return new ZmqError("EAGAIN", `no room to send within ${timeout} ms`);
}

function receiveTimeoutError(timeout: number): ZmqError {
  return new ZmqError("EAGAIN", `no message received within ${timeout} ms`);
}

/** Removes the waiters at the front that timed out or were aborted. */
function dropSettled<T>(queue: Deque<Waiter<T>>): void {
  while (queue.length > 0 && queue.peek()!.settled) queue.shift();
}

function asZmqError(error: unknown, address: string): ZmqError {
  if (error instanceof ZmqError) return error;
  return new ZmqError("EINVAL", `cannot bind ${address}`, { cause: error });
}

/** The IP (or ipc path) of a peer address, without the port, as ZAP wants it. */
function hostOf(peerAddress: string): string {
  const bracketed = /^\[(.*)\]:\d+$/.exec(peerAddress);
  if (bracketed !== null) return bracketed[1];
  const plain = /^([^:]+):\d+$/.exec(peerAddress);
  return plain === null ? peerAddress : plain[1];
}

function textOrNull(bytes: Uint8Array | undefined): string | null {
  return bytes === undefined ? null : fromUtf8(bytes);
}

function z85OrNull(bytes: Uint8Array | undefined): string | null {
  return bytes === undefined ? null : z85Encode(bytes);
}
