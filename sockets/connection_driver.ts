import type { ZmqError } from "../core/errors.ts";
import { scheduleAfterTurn } from "../core/scheduler.ts";
import type { Connection, ConnectionHandler } from "../core/transport.ts";
import type { SessionFailure } from "../zmtp/session.ts";
import type { Message } from "./message.ts";
import type { Link, LinkOwner } from "./link.ts";
import type { Pipe } from "./pipe.ts";

/** Bytes encoded ahead of the connection in one turn before messages are left in the pipe. */
const BATCH_LIMIT = 256 * 1024;

/**
 * What every byte-stream link does with its connection, whatever it speaks
 * over it (ZMTP in `Engine`, raw bytes in `RawEngine`): writes a lone
 * message at once and what else a turn of the event loop encoded in one
 * write when the turn ends, stops taking messages from the pipe while the
 * connection is full and resumes on `drain`, closes gracefully with a grace
 * timer, and reports its end to the owner once. A subclass encodes messages
 * (`encode`, `writeOutput`), says when the peer is `ready`, and reads bytes
 * (`received`).
 *
 * @example
 * ```ts
 * class EchoLink extends ConnectionDriver {
 *   // started, encode, writeOutput, pendingOutput, ready, received, sendSubscription
 * }
 * ```
 */
export abstract class ConnectionDriver implements ConnectionHandler, Link {
  readonly #owner: LinkOwner;
  /** The endpoint this connection belongs to (bound or connected address). */
  readonly endpoint: string;
  #connection: Connection | undefined;
  #pipe: Pipe | undefined;
  #writable = true;
  #flushScheduled = false;
  /**
   * A message went out at once and no new turn was seen since: more in this
   * turn wait for the end-of-turn flush. A turn is seen to begin when the
   * peer's bytes arrive (every read is its own turn) or the flush runs.
   */
  #wroteAtOnce = false;
  #closed = false;
  readonly #flush = (): void => this.flushNow();

  /**
   * Makes a link for `owner`; it starts once given its connection (`bind`).
   *
   * @param owner the socket.
   * @param endpoint the endpoint this connection belongs to, for events.
   */
  constructor(owner: LinkOwner, endpoint: string) {
    this.#owner = owner;
    this.endpoint = endpoint;
  }

  /** The peer's address, once connected. */
  get peerAddress(): string | undefined {
    return this.#connection?.remoteAddress;
  }

  /** The pipe served, once the peer is ready. */
  get pipe(): Pipe | undefined {
    return this.#pipe;
  }

  /** Whether the peer is ready and the connection still open. */
  abstract get ready(): boolean;

  /** Takes the connection and starts talking over it (see `started`). */
  bind(connection: Connection): ConnectionHandler {
    this.#connection = connection;
    if (this.#closed) {
      // Closed while the connection was being made (the socket closed meanwhile).
      connection.destroy();
      return this;
    }
    this.started(connection);
    return this;
  }

  // ConnectionHandler

  /** Bytes from the peer: a new turn of the event loop. */
  data(chunk: Uint8Array): void {
    this.#wroteAtOnce = false;
    this.received(chunk);
  }

  /** The connection can take more bytes. */
  drain(): void {
    if (this.#closed) return;
    this.#writable = true;
    this.pull();
  }

  /** The connection is gone. */
  closed(error: Error | undefined): void {
    this.#terminate(error as ZmqError | undefined, undefined);
  }

  // Link

  /** Serves `pipe` from now on (called by the owner once it accepts the peer). */
  attachPipe(pipe: Pipe): void {
    this.#pipe = pipe;
    pipe.attach(this);
  }

  /** Whether a message can be encoded now: the connection takes bytes and this turn's batch has room. */
  get accepting(): boolean {
    return this.#writable && this.ready && this.pendingOutput < BATCH_LIMIT;
  }

  /**
   * Encodes one message. The first of a turn is written at once, so that a
   * lone request or reply does not wait for the end of the turn; those after
   * it in the same turn go out together in one write at the end of the turn.
   */
  write(message: Message): void {
    this.encode(message);
    if (this.#flushScheduled) return;
    if (this.#wroteAtOnce) return this.scheduleFlush();
    this.#wroteAtOnce = true;
    this.#writeOutput();
  }

  /** Encodes a message that waited in the pipe, written with the rest of the turn's batch. */
  writeQueued(message: Message): void {
    this.encode(message);
    this.scheduleFlush();
  }

  /** Takes messages from the pipe while there is room in this turn's batch. */
  pull(): void {
    this.#pipe?.flushTo(this);
  }

  /** Pauses or resumes reading from the peer. */
  setReading(reading: boolean): void {
    if (reading) this.#connection?.resume();
    else this.#connection?.pause();
  }

  /** Sends a subscription change, if the protocol has them. */
  abstract sendSubscription(subscribe: boolean, topic: Uint8Array): void;

  /**
   * Closes the connection after writing what is already encoded; with
   * `drainPipe`, the pipe's queued messages are encoded first. The peer may
   * take `linger` ms to end its side before the connection is cut (-1: no
   * limit, 0: cut at once).
   */
  close(drainPipe = false, linger = -1): void {
    if (this.#closed) return;
    if (drainPipe && this.#pipe !== undefined && this.ready) {
      for (const message of this.#pipe.takeAll()) this.encode(message);
    }
    this.shutdown(linger, undefined, undefined);
  }

  // For subclasses

  /** The socket that owns this link. */
  protected get owner(): LinkOwner {
    return this.#owner;
  }

  /** Whether the link has ended (closed, failed, or the peer went away). */
  protected get terminated(): boolean {
    return this.#closed;
  }

  /** Bytes encoded and not yet written. */
  protected abstract get pendingOutput(): number;

  /** The connection is taken: start the protocol (the link is not terminated). */
  protected abstract started(connection: Connection): void;

  /** Encodes `message` for the peer, to be written by the next `writeOutput`. */
  protected abstract encode(message: Message): void;

  /** Writes what was encoded to `connection`; returns false if it is full (wait for `drain`). */
  protected abstract writeOutput(connection: Connection): boolean;

  /** Bytes from the peer (see `data`). */
  protected abstract received(chunk: Uint8Array): void;

  /** The link is ending: stop timers and what else the subclass runs. Called once. */
  protected stopped(): void {}

  /** Passes a message from the peer to the pipe, unless the link has ended. */
  protected deliver(message: Message): void {
    if (!this.#closed) this.#pipe?.deliver(message);
  }

  /** Writes what was encoded at the end of this turn (once, however often it is asked). */
  protected scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    scheduleAfterTurn(this.#flush);
  }

  /** Writes what was encoded now, then takes what waited in the pipe. */
  protected flushNow(): void {
    this.#flushScheduled = false;
    this.#wroteAtOnce = false;
    if (this.#closed) return;
    this.#writeOutput();
    // Room again in the batch: take what waited in the pipe during this turn.
    if (this.#writable && this.#pipe !== undefined && this.#pipe.outbound.length > 0) this.pull();
  }

  /**
   * Ends the link: writes what was encoded, closes the connection with
   * `grace` (see `close`), and reports the end (`error`, `failure`) to the owner.
   */
  protected shutdown(
    grace: number,
    error: ZmqError | undefined,
    failure: SessionFailure | undefined,
  ): void {
    this.#writeOutput();
    this.#closeConnection(grace);
    this.#terminate(error, failure);
  }

  #writeOutput(): void {
    const connection = this.#connection;
    if (connection !== undefined && !this.writeOutput(connection)) this.#writable = false;
  }

  /**
   * Closes the connection gracefully (our bytes flushed, then the peer's end
   * awaited), and for good after `grace` ms so that a peer that never ends
   * its side cannot hold the connection.
   */
  #closeConnection(grace: number): void {
    const connection = this.#connection;
    if (connection === undefined) return;
    if (grace === 0) return connection.destroy();
    connection.close();
    if (grace < 0) return;
    const timer = setTimeout(() => connection.destroy(), grace);
    // Never the reason a process stays alive; destroy() after closed() is a no-op.
    (timer as { unref?: () => void }).unref?.();
  }

  #terminate(error: ZmqError | undefined, failure: SessionFailure | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.stopped();
    this.#pipe?.attach(undefined);
    this.#owner.linkClosed(this, error, failure);
  }
}
