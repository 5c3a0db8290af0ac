import { type Endpoint, formatEndpoint } from "../core/endpoint.ts";
import { ZmqError } from "../core/errors.ts";
import type { Connection, ConnectionHandler } from "../core/transport.ts";
import { resolveTransport } from "../core/transport_registry.ts";
import type { SessionFailure } from "../zmtp/session.ts";
import type { Dialer, Link } from "./link.ts";
import type { Pipe } from "./pipe.ts";
import type { SocketEvent } from "./socket_events.ts";

/**
 * A link carried by a transport connection: a ZMTP `Engine`, or the raw
 * engine of a Stream socket.
 */
export interface ConnectionLink extends Link {
  /** Takes the connection once it is made and returns what receives its events. */
  bind(connection: Connection): ConnectionHandler;
}

/** What a connecter needs from its socket. */
export interface ConnecterHost {
  /** A new engine for a connection to `address`. */
  createEngine(address: string): ConnectionLink;
  /** Reports a monitor event. */
  emit(event: SocketEvent): void;
  /** The reconnect interval now (it may change between attempts). */
  reconnectInterval(): number;
  /** The upper bound of the exponential backoff now, 0 for none. */
  reconnectMaxInterval(): number;
}

/**
 * Keeps one connect()ed endpoint connected: dials, and after a lost or
 * refused connection dials again with libzmq's timing (the interval plus a
 * random jitter below it, or exponential backoff up to a maximum). After a
 * protocol error it stops for good, as libzmq does.
 *
 * @example
 * ```ts
 * const connecter = new Connecter(host, parseEndpoint("tcp://127.0.0.1:5555"), "tcp://127.0.0.1:5555", pipe, undefined);
 * connecter.start();
 * ```
 */
export class Connecter implements Dialer {
  readonly #host: ConnecterHost;
  readonly #endpoint: Endpoint;
  /** The address as the application gave it. */
  readonly address: string;
  /** The pipe that outlives this endpoint's connections (absent with `immediate`). */
  readonly pipe: Pipe | undefined;
  /** The routing id the application gave this peer, if any. */
  readonly routingId: Uint8Array | undefined;
  #engine: ConnectionLink | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #failures = 0;

  /**
   * @param host the socket.
   * @param endpoint the parsed endpoint.
   * @param address the address as given.
   * @param pipe the persistent pipe for this endpoint, if any.
   */
  constructor(
    host: ConnecterHost,
    endpoint: Endpoint,
    address: string,
    pipe: Pipe | undefined,
    routingId: Uint8Array | undefined,
  ) {
    this.#host = host;
    this.#endpoint = endpoint;
    this.address = address;
    this.pipe = pipe;
    this.routingId = routingId;
  }

  /** The current connection, if any. */
  get link(): Link | undefined {
    return this.#engine;
  }

  /** Dials now. */
  start(): void {
    void this.#attempt();
  }

  /** Stops dialing; closes the current connection (`linger` decides about queued messages). */
  stop(drainPipe: boolean, linger: number): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#engine?.close(drainPipe, linger);
  }

  /** The connection's engine closed: dial again unless the failure forbids it. */
  linkClosed(link: Link, failure: SessionFailure | undefined): void {
    if (link !== this.#engine) return;
    this.#engine = undefined;
    if (this.#stopped) return;
    if (failure === "protocol" || failure === "auth") {
      // libzmq terminates the session after a protocol error: no reconnection.
      this.#stopped = true;
      return;
    }
    this.#scheduleRetry();
  }

  async #attempt(): Promise<void> {
    this.#timer = undefined;
    if (this.#stopped) return;
    // As libzmq reports it: the attempt is pending ("connect:delay"), then it either connects
    // ("connect", before any handshake) or its socket is closed ("close") and a retry scheduled.
    this.#host.emit({ type: "connect:delay", address: this.address });
    // The socket keeps every engine it makes until the engine ends: one that never gets its
    // connection must be closed here, or each failed attempt would stay behind.
    const engine = this.#host.createEngine(this.address);
    try {
      const transport = await resolveTransport(this.#endpoint);
      if (this.#stopped) return engine.close();
      this.#engine = engine;
      await transport.connect(this.#endpoint, (connection) => {
        if (!this.#stopped) {
          this.#failures = 0;
          this.#host.emit({
            type: "connect",
            address: this.address,
            peer: connection.remoteAddress,
          });
        }
        return engine.bind(connection);
      });
    } catch (error) {
      if (this.#engine === engine) this.#engine = undefined;
      engine.close();
      if (this.#stopped) return;
      const cause = error instanceof ZmqError
        ? error
        : new ZmqError("ECONNREFUSED", `cannot connect to ${formatEndpoint(this.#endpoint)}`, {
          cause: error,
        });
      this.#host.emit({ type: "close", address: this.address, error: cause });
      this.#scheduleRetry();
      return;
    }
    if (this.#stopped) engine.close();
  }

  #scheduleRetry(): void {
    const base = this.#host.reconnectInterval();
    if (base < 0) return;
    const max = this.#host.reconnectMaxInterval();
    let interval: number;
    if (max > 0) {
      // Exponential backoff without jitter, capped at the maximum (below the base too), as
      // libzmq 4.3.5 does.
      interval = Math.min(max, base * 2 ** Math.min(this.#failures, 30));
    } else {
      interval = base + Math.floor(Math.random() * base);
    }
    this.#failures++;
    this.#host.emit({ type: "connect:retry", address: this.address, interval });
    this.#timer = setTimeout(() => void this.#attempt(), interval);
  }
}
