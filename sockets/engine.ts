import { ZmqError } from "../core/errors.ts";
import { scheduleAfterTurn } from "../core/scheduler.ts";
import type { Connection, ConnectionHandler } from "../core/transport.ts";
import type { MechanismName, PeerGreeting } from "../zmtp/greeting.ts";
import type { Metadata } from "../zmtp/metadata.ts";
import {
  Session,
  type SessionFailure,
  type SessionHandler,
  type SessionOptions,
} from "../zmtp/session.ts";
import type { Message } from "./message.ts";
import type { Link, LinkOwner } from "./link.ts";
import type { Pipe } from "./pipe.ts";

/** Bytes an engine encodes ahead of the connection before it leaves messages in the pipe. */
const BATCH_LIMIT = 256 * 1024;
/** Milliseconds a failed connection may take to deliver our last words (an ERROR) before it is cut. */
const ERROR_CLOSE_GRACE = 1000;

/**
 * Drives one connection: feeds the bytes it reads to a ZMTP session, writes
 * what the session produces (once per turn of the event loop), runs the
 * session's timers, and moves messages between the session and its pipe.
 *
 * @example
 * ```ts
 * const engine = new Engine(socket, sessionOptions, "tcp://127.0.0.1:5555");
 * transport.connect(endpoint, (connection) => engine.bind(connection));
 * ```
 */
export class Engine implements ConnectionHandler, SessionHandler, Link {
  readonly #owner: LinkOwner;
  readonly #session: Session;
  /** The endpoint this connection belongs to (bound or connected address). */
  readonly endpoint: string;
  #connection: Connection | undefined;
  #pipe: Pipe | undefined;
  #writable = true;
  #flushScheduled = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerDeadline = Infinity;
  #closed = false;
  #abortAuth: AbortController | undefined;
  readonly #mechanismName: MechanismName;
  readonly #flush = (): void => this.#flushNow();

  /**
   * @param owner the socket.
   * @param options the session's options.
   * @param endpoint the endpoint this connection belongs to, for events.
   */
  constructor(owner: LinkOwner, options: SessionOptions, endpoint: string) {
    this.#owner = owner;
    this.#session = new Session(options, this);
    this.#mechanismName = options.mechanism.name;
    this.endpoint = endpoint;
  }

  /** The security mechanism's name, for authentication requests. */
  get mechanism(): MechanismName {
    return this.#mechanismName;
  }

  /** The peer's address, once connected. */
  get peerAddress(): string | undefined {
    return this.#connection?.remoteAddress;
  }

  /** The pipe served, once the handshake is done. */
  get pipe(): Pipe | undefined {
    return this.#pipe;
  }

  /** Whether the handshake is done and the connection still open. */
  get ready(): boolean {
    return this.#session.ready && !this.#closed;
  }

  /** Takes the connection and starts the handshake: our greeting goes out at once. */
  bind(connection: Connection): ConnectionHandler {
    this.#connection = connection;
    if (this.#closed) {
      // Closed while the connection was being made (the socket closed meanwhile).
      connection.destroy();
      return this;
    }
    if (connection.allocate !== undefined) this.#session.allocate = connection.allocate;
    this.#session.start(Date.now());
    this.#flushNow();
    this.#armTimer();
    return this;
  }

  // ConnectionHandler

  /** Bytes from the peer. */
  data(chunk: Uint8Array): void {
    if (this.#closed) return;
    this.#session.receive(chunk, Date.now());
    this.#afterSession();
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

  // SessionHandler

  /** The handshake completed. */
  handshakeDone(peer: Metadata, _greeting: PeerGreeting): void {
    if (this.#owner.linkReady(this, peer) === undefined) this.close(false, ERROR_CLOSE_GRACE);
  }

  /** Serves `pipe` from now on (called by the owner once it accepts the peer). */
  attachPipe(pipe: Pipe): void {
    this.#pipe = pipe;
    pipe.attach(this);
  }

  /** A message from the peer. */
  message(frames: Uint8Array[]): void {
    // Frames that came in the same read as a refused handshake are not the socket's.
    if (!this.#closed) this.#pipe?.deliver(frames);
  }

  /** A subscription from the peer. */
  subscription(subscribe: boolean, topic: Uint8Array): void {
    this.#owner.linkSubscription(this, subscribe, topic);
  }

  // PipeEngine

  /** Whether a message can be encoded now. */
  get accepting(): boolean {
    return this.#writable && this.#session.ready && this.#session.pendingOutput < BATCH_LIMIT;
  }

  /** Encodes one message. */
  write(message: Message): void {
    this.#session.send(message);
    this.#scheduleFlush();
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

  /** Sends a subscription change. */
  sendSubscription(subscribe: boolean, topic: Uint8Array): void {
    if (!this.#session.ready) return;
    this.#session.sendSubscription(subscribe, topic);
    this.#scheduleFlush();
  }

  /**
   * Closes the connection after writing what is already encoded; with
   * `drainPipe`, the pipe's queued messages are encoded first (linger).
   */
  close(drainPipe = false, linger = -1): void {
    if (this.#closed) return;
    if (drainPipe && this.#pipe !== undefined && this.#session.ready) {
      for (const message of this.#pipe.takeAll()) this.#session.send(message);
    }
    this.#writeOutput();
    this.#closeConnection(linger);
    this.#terminate(undefined, undefined);
  }

  /**
   * Closes the connection gracefully (our bytes flushed, then the peer's end
   * awaited), and for good after `grace` ms so that a peer that never ends
   * its side cannot hold the connection; -1 waits as long as it takes.
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

  #afterSession(): void {
    if (this.#session.closed) {
      // Send what the session queued last (an ERROR, a PONG) before closing.
      this.#writeOutput();
      this.#closeConnection(ERROR_CLOSE_GRACE);
      this.#terminate(this.#session.error, this.#session.failure);
      return;
    }
    const credentials = this.#session.takeAuthRequest();
    if (credentials !== undefined) this.#authenticate(credentials);
    if (this.#session.pendingOutput > 0) this.#scheduleFlush();
    this.#armTimer();
  }

  /** Puts the peer's credentials to the socket's authenticator, and the answer to the session. */
  #authenticate(credentials: readonly Uint8Array[]): void {
    const abort = new AbortController();
    this.#abortAuth = abort;
    void this.#owner.linkAuthenticate(this, credentials, abort.signal).then((answer) => {
      if (this.#closed) return;
      if (answer instanceof ZmqError) this.#session.abort(answer.message, false);
      else this.#session.authenticated(answer);
      this.#afterSession();
    });
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    scheduleAfterTurn(this.#flush);
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
    if (connection === undefined) return;
    for (const chunk of this.#session.takeOutput()) {
      if (!connection.write(chunk)) this.#writable = false;
    }
  }

  #armTimer(): void {
    const deadline = this.#session.nextDeadline();
    if (deadline >= this.#timerDeadline) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerDeadline = deadline;
    if (deadline === Infinity) {
      this.#timer = undefined;
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerDeadline = Infinity;
      if (this.#closed) return;
      this.#session.tick(Date.now());
      this.#afterSession();
    }, Math.max(0, deadline - Date.now()));
  }

  #terminate(error: ZmqError | undefined, failure: SessionFailure | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abortAuth?.abort();
    this.#pipe?.attach(undefined);
    this.#owner.linkClosed(this, error, failure);
  }
}
