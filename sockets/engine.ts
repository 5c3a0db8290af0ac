import { ZmqError } from "../core/errors.ts";
import type { Connection } from "../core/transport.ts";
import type { MechanismName, PeerGreeting } from "../zmtp/greeting.ts";
import type { Metadata } from "../zmtp/metadata.ts";
import { Session, type SessionHandler, type SessionOptions } from "../zmtp/session.ts";
import { ConnectionDriver } from "./connection_driver.ts";
import type { Message } from "./message.ts";
import type { LinkOwner } from "./link.ts";

/** Milliseconds a failed connection may take to deliver our last words (an ERROR) before it is cut. */
const ERROR_CLOSE_GRACE = 1000;

/**
 * Drives one connection: feeds the bytes it reads to a ZMTP session, writes
 * what the session produces (as `ConnectionDriver` batches it per turn of the
 * event loop), runs the session's timers, and moves messages between the
 * session and its pipe.
 *
 * @example
 * ```ts
 * const engine = new Engine(socket, sessionOptions, "tcp://127.0.0.1:5555");
 * transport.connect(endpoint, (connection) => engine.bind(connection));
 * ```
 */
export class Engine extends ConnectionDriver implements SessionHandler {
  readonly #session: Session;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerDeadline = Infinity;
  #abortAuth: AbortController | undefined;
  readonly #mechanismName: MechanismName;

  /**
   * Makes an engine for `owner`; the handshake starts once it is given its connection (`bind`).
   *
   * @param owner the socket.
   * @param options the session's options.
   * @param endpoint the endpoint this connection belongs to, for events.
   */
  constructor(owner: LinkOwner, options: SessionOptions, endpoint: string) {
    super(owner, endpoint);
    this.#session = new Session(options, this);
    this.#mechanismName = options.mechanism.name;
  }

  /** The security mechanism's name, for authentication requests. */
  get mechanism(): MechanismName {
    return this.#mechanismName;
  }

  /** Whether the handshake is done and the connection still open. */
  get ready(): boolean {
    return this.#session.ready && !this.terminated;
  }

  // ConnectionHandler

  /** The rest of a frame spanning reads, for an adapter that can read into it. */
  readTarget(): Uint8Array | undefined {
    return this.terminated ? undefined : this.#session.pendingBody;
  }

  // SessionHandler

  /** The handshake completed. */
  handshakeDone(peer: Metadata, _greeting: PeerGreeting): void {
    if (this.owner.linkReady(this, peer) === undefined) this.close(false, ERROR_CLOSE_GRACE);
  }

  /** A message from the peer. */
  message(frames: Uint8Array[]): void {
    // Frames that came in the same read as a refused handshake are not the socket's.
    this.deliver(frames);
  }

  /** A subscription from the peer. */
  subscription(subscribe: boolean, topic: Uint8Array): void {
    this.owner.linkSubscription(this, subscribe, topic);
  }

  // PipeEngine

  /** Sends a subscription change. */
  sendSubscription(subscribe: boolean, topic: Uint8Array): void {
    if (!this.#session.ready) return;
    this.#session.sendSubscription(subscribe, topic);
    this.scheduleFlush();
  }

  // ConnectionDriver

  /** Bytes from the peer. */
  protected received(chunk: Uint8Array): void {
    if (this.terminated) return;
    this.#session.receive(chunk, Date.now());
    this.#afterSession();
  }

  /** Bytes the session has encoded and not yet handed to the connection. */
  protected get pendingOutput(): number {
    return this.#session.pendingOutput;
  }

  /** Starts the handshake: our greeting goes out at once. */
  protected started(connection: Connection): void {
    if (connection.allocate !== undefined) this.#session.allocate = connection.allocate;
    this.#session.start(Date.now());
    this.flushNow();
    this.#armTimer();
  }

  /** Encodes one message into the session's output. */
  protected encode(message: Message): void {
    this.#session.send(message);
  }

  /** Writes the session's output: several chunks in one gathered write where the connection can. */
  protected writeOutput(connection: Connection): boolean {
    const chunks = this.#session.takeOutput();
    if (chunks.length === 1) return connection.write(chunks[0]);
    if (chunks.length === 0) return true;
    if (connection.writev !== undefined) return connection.writev(chunks);
    let writable = true;
    for (let i = 0; i < chunks.length; i++) {
      if (!connection.write(chunks[i])) writable = false;
    }
    return writable;
  }

  /** Stops the session's timer and any authentication in flight. */
  protected override stopped(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abortAuth?.abort();
  }

  #afterSession(): void {
    if (this.#session.closed) {
      // Send what the session queued last (an ERROR, a PONG) before closing.
      this.shutdown(ERROR_CLOSE_GRACE, this.#session.error, this.#session.failure);
      return;
    }
    const credentials = this.#session.takeAuthRequest();
    if (credentials !== undefined) this.#authenticate(credentials);
    if (this.#session.pendingOutput > 0) this.scheduleFlush();
    this.#armTimer();
  }

  /** Puts the peer's credentials to the socket's authenticator, and the answer to the session. */
  #authenticate(credentials: readonly Uint8Array[]): void {
    const abort = new AbortController();
    this.#abortAuth = abort;
    void this.owner.linkAuthenticate(this, credentials, abort.signal).then((answer) => {
      if (this.terminated) return;
      if (answer instanceof ZmqError) this.#session.abort(answer.message, false);
      else this.#session.authenticated(answer);
      this.#afterSession();
    });
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
      if (this.terminated) return;
      this.#session.tick(Date.now());
      this.#afterSession();
    }, Math.max(0, deadline - Date.now()));
  }
}
