import { concatBytes, EMPTY } from "../core/bytes.ts";
import type { ZmqError } from "../core/errors.ts";
import { scheduleAfterTurn } from "../core/scheduler.ts";
import type { Connection, ConnectionHandler } from "../core/transport.ts";
import { Metadata } from "../zmtp/metadata.ts";
import type { Message } from "./message.ts";
import type { Link, LinkOwner } from "./link.ts";
import type { Pipe } from "./pipe.ts";

/** Bytes queued ahead of the connection in one turn before messages are left in the pipe. */
const BATCH_LIMIT = 256 * 1024;
/** A raw peer announces nothing: no Socket-Type, no Identity. */
const NO_PROPERTIES = new Metadata();

/**
 * Drives one connection of a Stream socket (libzmq's raw engine): no
 * greeting, no framing. Each chunk read becomes a one-frame message, each
 * message sent is written as its bytes alone. The connection is ready at
 * once, and an empty message marks its start and, when the peer ends it or
 * it fails, its end (the connect and disconnect notifications of
 * ZMQ_STREAM_NOTIFY; a received chunk is never empty). Writes are coalesced
 * into one per turn of the event loop.
 *
 * @example
 * ```ts
 * const engine = new RawEngine(socket, "tcp://127.0.0.1:8080");
 * transport.connect(endpoint, (connection) => engine.bind(connection));
 * ```
 */
export class RawEngine implements ConnectionHandler, Link {
  readonly #owner: LinkOwner;
  /** The endpoint this connection belongs to (bound or connected address). */
  readonly endpoint: string;
  #connection: Connection | undefined;
  #pipe: Pipe | undefined;
  #output: Uint8Array[] = [];
  #pendingOutput = 0;
  #writable = true;
  #flushScheduled = false;
  #closed = false;
  readonly #flush = (): void => this.#flushNow();

  /**
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

  /** The pipe served, once connected. */
  get pipe(): Pipe | undefined {
    return this.#pipe;
  }

  /** Whether the connection is open and serves a pipe. */
  get ready(): boolean {
    return this.#pipe !== undefined && !this.#closed;
  }

  /** Takes the connection: with nothing to negotiate, the peer is ready at once. */
  bind(connection: Connection): ConnectionHandler {
    this.#connection = connection;
    if (this.#closed) {
      // Closed while the connection was being made (the socket closed meanwhile).
      connection.destroy();
      return this;
    }
    const pipe = this.#owner.linkReady(this, NO_PROPERTIES);
    if (pipe === undefined) this.close(false, 0);
    else pipe.deliver([EMPTY]);
    return this;
  }

  // ConnectionHandler

  /** Bytes from the peer: one message per read. */
  data(chunk: Uint8Array): void {
    // An empty chunk would read as a notification; a transport has no reason to deliver one.
    if (this.#closed || chunk.length === 0) return;
    this.#pipe?.deliver([chunk]);
  }

  /** The connection can take more bytes. */
  drain(): void {
    if (this.#closed) return;
    this.#writable = true;
    this.pull();
  }

  /** The peer ended the connection, or it failed: the disconnect notification, then the end. */
  closed(error: Error | undefined): void {
    if (this.#closed) return;
    this.#pipe?.deliver([EMPTY]);
    this.#terminate(error as ZmqError | undefined);
  }

  // Link

  /** Serves `pipe` from now on (called by the owner once it accepts the peer). */
  attachPipe(pipe: Pipe): void {
    this.#pipe = pipe;
    pipe.attach(this);
  }

  /** Whether a message can be queued now. */
  get accepting(): boolean {
    return this.#writable && !this.#closed && this.#pendingOutput < BATCH_LIMIT;
  }

  /** Queues a message's bytes, written at the end of this turn. */
  write(message: Message): void {
    this.#queue(message);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    scheduleAfterTurn(this.#flush);
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

  /** A raw peer has no subscriptions: nothing to send. */
  sendSubscription(_subscribe: boolean, _topic: Uint8Array): void {}

  /**
   * Closes the connection after writing what is already queued; with
   * `drainPipe`, the pipe's queued messages are written first. The peer may
   * take `linger` ms to end its side before the connection is cut (-1: no limit).
   */
  close(drainPipe = false, linger = -1): void {
    if (this.#closed) return;
    if (drainPipe && this.#pipe !== undefined) {
      for (const message of this.#pipe.takeAll()) this.#queue(message);
    }
    this.#writeOutput();
    const connection = this.#connection;
    if (connection !== undefined) closeConnection(connection, linger);
    this.#terminate(undefined);
  }

  #queue(message: Message): void {
    for (const frame of message) {
      this.#output.push(frame);
      this.#pendingOutput += frame.length;
    }
  }

  #flushNow(): void {
    this.#flushScheduled = false;
    if (this.#closed) return;
    this.#writeOutput();
    // Room again in the batch: take what waited in the pipe during this turn.
    if (this.#writable && this.#pipe !== undefined && this.#pipe.outbound.length > 0) this.pull();
  }

  #writeOutput(): void {
    const connection = this.#connection;
    const output = this.#output;
    if (connection === undefined || output.length === 0) return;
    this.#output = [];
    this.#pendingOutput = 0;
    // One write for the whole turn; the batch limit bounds what is copied to join it.
    const bytes = output.length === 1 ? output[0] : concatBytes(output);
    if (!connection.write(bytes)) this.#writable = false;
  }

  #terminate(error: ZmqError | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#output = [];
    this.#pendingOutput = 0;
    this.#pipe?.attach(undefined);
    this.#owner.linkClosed(this, error, undefined);
  }
}

/**
 * Closes a connection gracefully (bytes written so far flushed, then the
 * peer's end awaited), and for good after `grace` ms so that a peer that
 * never ends its side cannot hold the connection; -1 waits as long as it
 * takes, 0 cuts it at once.
 *
 * @example
 * ```ts
 * closeConnection(connection, 1000);
 * ```
 */
export function closeConnection(connection: Connection, grace: number): void {
  if (grace === 0) return connection.destroy();
  connection.close();
  if (grace < 0) return;
  const timer = setTimeout(() => connection.destroy(), grace);
  // Never the reason a process stays alive; destroy() after closed() is a no-op.
  (timer as { unref?: () => void }).unref?.();
}
