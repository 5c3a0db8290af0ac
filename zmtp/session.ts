import { ascii, fromAscii, utf8 } from "../core/bytes.ts";
import { protocolError, ZmqError } from "../core/errors.ts";
import {
  commandBody,
  commandDataOffset,
  commandName,
  errorCommand,
  errorReason,
  pingCommand,
  subscriptionCommand,
  subscriptionMessage,
} from "./commands.ts";
import { COMMAND, FrameWriter, MORE } from "./frame.ts";
import { type Allocate, FrameDecoder, type FrameSink } from "./frame_decoder.ts";
import { encodeGreeting, GreetingReader, type PeerGreeting } from "./greeting.ts";
import type { HandshakeHost, HandshakeStep, Mechanism } from "./mechanism.ts";
import type { ZapReply } from "./zap.ts";
import { Metadata } from "./metadata.ts";
import { sendsIdentity, type SocketTypeName, socketTypesCompatible } from "./socket_type.ts";

/**
 * The properties a socket announces in READY: its type, and for REQ, DEALER
 * and ROUTER its routing id (empty when unset), exactly as libzmq does.
 *
 * @example
 * ```ts
 * localMetadata("DEALER", new Uint8Array(0)); // Socket-Type=DEALER, Identity=""
 * ```
 */
export function localMetadata(socketType: SocketTypeName, routingId: Uint8Array): Metadata {
  const properties: [string, Uint8Array][] = [["Socket-Type", ascii(socketType)]];
  if (sendsIdentity(socketType)) properties.push(["Identity", routingId]);
  return new Metadata(properties);
}

/** How one ZMTP connection behaves; times are in milliseconds. */
export interface SessionOptions {
  /** Our socket type, announced in READY and checked against the peer's. */
  readonly socketType: SocketTypeName;
  /** Our routing id (ZMQ_ROUTING_ID), announced by REQ, DEALER and ROUTER. */
  readonly routingId: Uint8Array;
  /** The security mechanism for this connection (one instance per connection). */
  readonly mechanism: Mechanism;
  /** Largest accepted frame (ZMQ_MAXMSGSIZE), -1 for none. */
  readonly maxMessageSize: number;
  /** Time allowed from connection to the end of the handshake (ZMQ_HANDSHAKE_IVL), 0 for none. */
  readonly handshakeInterval: number;
  /** Interval between our PINGs (ZMQ_HEARTBEAT_IVL), 0 for none. */
  readonly heartbeatInterval: number;
  /** Time-to-live we ask the peer to apply (ZMQ_HEARTBEAT_TTL), rounded down to tenths of a second. */
  readonly heartbeatTimeToLive: number;
  /** Time to wait for any traffic after a PING (ZMQ_HEARTBEAT_TIMEOUT), -1 for the interval. */
  readonly heartbeatTimeout: number;
}

/** What the session reports to the layer that owns it. */
export interface SessionHandler {
  /** The handshake is done: messages may flow. */
  handshakeDone(peer: Metadata, greeting: PeerGreeting): void;
  /** A whole message arrived (frames may be views into received chunks). */
  message(frames: Uint8Array[]): void;
  /** The peer sent a SUBSCRIBE (true) or CANCEL (false) command. */
  subscription(subscribe: boolean, topic: Uint8Array): void;
}

/** Why a session ended, for monitor events and reconnection policy. */
export type SessionFailure =
  /** The peer broke the protocol: do not reconnect (as libzmq). */
  | "protocol"
  /** The peer refused our credentials (ERROR 300/400/500). */
  | "auth"
  /** Handshake or heartbeat timeout: reconnect. */
  | "timeout";

const PHASE_GREETING = 0;
const PHASE_HANDSHAKE = 1;
const PHASE_READY = 2;
const PHASE_CLOSED = 3;

/**
 * One ZMTP 3.x connection as a sans-I/O state machine: bytes in through
 * `receive`, messages and commands out through the handler, bytes to send
 * through `takeOutput`, and time through `now` arguments and `tick`. It does
 * no I/O and owns no timers, so every path is testable with byte arrays.
 *
 * @example
 * ```ts
 * const session = new Session(options, handler);
 * session.start(Date.now());
 * connection.write(...session.takeOutput()); // our greeting
 * // for each chunk read: session.receive(chunk, Date.now()), then write takeOutput()
 * ```
 */
export class Session implements FrameSink, HandshakeHost {
  readonly #options: SessionOptions;
  readonly #handler: SessionHandler;
  readonly #mechanism: Mechanism;
  readonly #out = new FrameWriter();
  readonly #greetingReader: GreetingReader;
  readonly #decoder: FrameDecoder;
  /** Our READY/INITIATE properties. */
  readonly localMetadata: Metadata;
  #phase = PHASE_GREETING;
  #greeting: PeerGreeting | undefined;
  #parts: Uint8Array[] = [];
  #error: ZmqError | undefined;
  #failure: SessionFailure | undefined;
  #handshakeDeadline = Infinity;
  #lastInbound = 0;
  #nextPingAt = Infinity;
  #pingSentAt = -1;
  #ttlStart = -1;
  /** Any frame since our outstanding PING: libzmq cancels the heartbeat timeout on every frame. */
  #heardSincePing = false;
  /** Any frame since the peer's last PING with a time-to-live. */
  #heardSinceTtl = false;
  /** Credentials awaiting the authenticator, until the owner takes them. */
  #authRequest: readonly Uint8Array[] | undefined;
  #awaitingAuth = false;
  /** What the authenticator said about the peer: User-Id and its properties. */
  #authMetadata: Metadata | undefined;
  #ttl = 0;

  /**
   * @param options how the connection behaves.
   * @param handler receives the handshake result, messages and subscriptions.
   */
  constructor(options: SessionOptions, handler: SessionHandler) {
    this.#options = options;
    this.#handler = handler;
    this.#mechanism = options.mechanism;
    this.#greetingReader = new GreetingReader(options.mechanism.name);
    this.#decoder = new FrameDecoder(this, options.maxMessageSize);
    this.localMetadata = localMetadata(options.socketType, options.routingId);
  }

  /** Whether messages may be sent and received. */
  get ready(): boolean {
    return this.#phase === PHASE_READY;
  }

  /** Whether the session has ended (see `error` and `failure`). */
  get closed(): boolean {
    return this.#phase === PHASE_CLOSED;
  }

  /** Why the session ended, if it failed. */
  get error(): ZmqError | undefined {
    return this.#error;
  }

  /** What kind of failure ended the session. */
  get failure(): SessionFailure | undefined {
    return this.#failure;
  }

  /** The peer's ZMTP minor version (0 for 3.0), once its greeting is in. */
  get peerMinorVersion(): number | undefined {
    const greeting = this.#greeting;
    if (greeting === undefined) return undefined;
    return greeting.major > 3 ? 1 : greeting.minor;
  }

  /** Where the next bytes from the peer belong, when a frame spanning reads awaits them (see `FrameDecoder.pendingBody`). */
  get pendingBody(): Uint8Array | undefined {
    return this.#phase === PHASE_CLOSED ? undefined : this.#decoder.pendingBody;
  }

  /** Bytes queued for the peer and not yet taken. */
  get pendingOutput(): number {
    return this.#out.pendingBytes;
  }

  /**
   * Makes the buffers of frames that span reads with `allocate`, so that they
   * are of the same type as the views into received chunks (the runtime's own
   * Uint8Array subclass on Node and Bun).
   */
  set allocate(allocate: Allocate) {
    this.#decoder.allocate = allocate;
  }

  /** Queues our greeting and starts the handshake clock. */
  start(now: number): void {
    this.#lastInbound = now;
    if (this.#options.handshakeInterval > 0) {
      this.#handshakeDeadline = now + this.#options.handshakeInterval;
    }
    this.#out.raw(
      encodeGreeting({
        mechanism: this.#mechanism.name,
        asServer: this.#mechanism.asServer,
        routingIdLength: this.#options.routingId.length,
      }),
    );
  }

  /** Everything to write to the peer since the last call, in order. */
  takeOutput(): Uint8Array[] {
    return this.#out.take();
  }

  /** Feeds bytes read from the peer. Check `closed` afterwards. */
  receive(chunk: Uint8Array, now: number): void {
    if (this.#phase === PHASE_CLOSED) return;
    this.#lastInbound = now;
    let offset = 0;
    if (this.#phase === PHASE_GREETING) {
      const used = this.#greetingReader.push(chunk, 0);
      if (typeof used !== "number") return this.#fail(used, "protocol");
      const greeting = this.#greetingReader.greeting;
      if (greeting === undefined) return;
      this.#greeting = greeting;
      this.#phase = PHASE_HANDSHAKE;
      this.#mechanism.start(this);
      offset = used;
    }
    if (offset < chunk.length) {
      const error = this.#decoder.push(chunk, offset);
      if (error !== undefined) this.#fail(error, "protocol");
    }
  }

  /** Sends a whole message. Only valid once `ready`. */
  send(frames: readonly Uint8Array[]): void {
    const last = frames.length - 1;
    const traffic = this.#mechanism.traffic;
    for (let i = 0; i <= last; i++) {
      const flags = i < last ? MORE : 0;
      if (traffic === undefined) this.#out.frame(flags, frames[i]);
      else this.#out.frame(0, traffic.wrap(flags, frames[i]));
    }
  }

  /**
   * Sends a subscription change in the form the peer understands: a
   * SUBSCRIBE/CANCEL command to a 3.1 peer, a `01`/`00` message to a 3.0 one.
   */
  sendSubscription(subscribe: boolean, topic: Uint8Array): void {
    if (this.peerMinorVersion === 0) {
      this.send([subscriptionMessage(subscribe, topic)]);
    } else {
      this.sendCommand(subscriptionCommand(subscribe, topic));
    }
  }

  /** Queues a command frame. */
  sendCommand(body: Uint8Array): void {
    const traffic = this.#mechanism.traffic;
    if (traffic === undefined || this.#phase !== PHASE_READY) this.#out.frame(COMMAND, body);
    else this.#out.frame(0, traffic.wrap(COMMAND, body));
  }

  /**
   * Ends the session from our side as a protocol failure, with an ERROR
   * command to the peer (sent with the remaining output) unless `tellPeer`
   * is false, as libzmq closes silently for most failures.
   */
  abort(reason: string, tellPeer = true): void {
    if (this.#phase === PHASE_CLOSED) return;
    if (tellPeer) this.sendCommand(errorCommand(reason));
    this.#fail(protocolError(reason), "protocol");
  }

  /** The next time `tick` has work to do, or Infinity. */
  nextDeadline(): number {
    if (this.#phase === PHASE_CLOSED) return Infinity;
    let deadline = Math.min(this.#handshakeDeadline, this.#nextPingAt);
    if (this.#pingSentAt >= 0 && !this.#heardSincePing) {
      deadline = Math.min(deadline, this.#pingSentAt + this.#heartbeatTimeout());
    }
    if (this.#ttlStart >= 0 && !this.#heardSinceTtl) {
      deadline = Math.min(deadline, this.#ttlStart + this.#ttl);
    }
    return deadline;
  }

  /** Runs the timers due at `now`: handshake timeout, PINGs, heartbeat timeouts. */
  tick(now: number): void {
    if (this.#phase === PHASE_CLOSED) return;
    if (now >= this.#handshakeDeadline) {
      return this.#fail(
        new ZmqError(
          "ETIMEDOUT",
          `handshake not completed within ${this.#options.handshakeInterval} ms`,
        ),
        "timeout",
      );
    }
    if (this.#pingSentAt >= 0) {
      if (this.#heardSincePing) {
        this.#pingSentAt = -1;
      } else if (now >= this.#pingSentAt + this.#heartbeatTimeout()) {
        return this.#fail(
          new ZmqError(
            "ETIMEDOUT",
            `no traffic from the peer within ${this.#heartbeatTimeout()} ms of our PING`,
          ),
          "timeout",
        );
      }
    }
    if (this.#ttlStart >= 0) {
      if (this.#heardSinceTtl) {
        this.#ttlStart = -1;
      } else if (now >= this.#ttlStart + this.#ttl) {
        return this.#fail(
          new ZmqError(
            "ETIMEDOUT",
            `no traffic from the peer within the ${this.#ttl} ms time-to-live of its PING`,
          ),
          "timeout",
        );
      }
    }
    if (now >= this.#nextPingAt) {
      this.sendCommand(
        pingCommand(Math.min(0xffff, Math.floor(this.#options.heartbeatTimeToLive / 100))),
      );
      if (this.#pingSentAt < 0) {
        this.#pingSentAt = now;
        this.#heardSincePing = false;
      }
      this.#nextPingAt = now + this.#options.heartbeatInterval;
    }
  }

  /** FrameSink: one frame from the decoder. */
  frame(flags: number, body: Uint8Array): boolean {
    this.#heardSincePing = true;
    this.#heardSinceTtl = true;
    const traffic = this.#mechanism.traffic;
    if (traffic !== undefined && this.#phase === PHASE_READY) {
      const carried = traffic.unwrap(body);
      if (carried instanceof ZmqError) {
        this.#fail(carried, "protocol");
        return false;
      }
      flags = ((carried[0] & 1) !== 0 ? MORE : 0) | ((carried[0] & 2) !== 0 ? COMMAND : 0);
      body = carried.subarray(1);
    }
    if ((flags & COMMAND) !== 0) return this.#command(body);
    if (this.#phase !== PHASE_READY) {
      this.#fail(protocolError("peer sent a message before completing the handshake"), "protocol");
      return false;
    }
    if ((flags & MORE) !== 0) {
      this.#parts.push(body);
      return true;
    }
    let frames: Uint8Array[];
    if (this.#parts.length === 0) {
      frames = [body];
    } else {
      frames = this.#parts;
      frames.push(body);
      this.#parts = [];
    }
    this.#handler.message(frames);
    return this.#phase === PHASE_READY;
  }

  /**
   * A command frame. Its MORE bit plays no part: libzmq consumes commands on
   * their own too, so a command never joins the message around it.
   */
  #command(body: Uint8Array): boolean {
    const name = isMisspelledError(body) ? "ERROR" : commandName(body);
    if (typeof name !== "string") {
      this.#fail(name, "protocol");
      return false;
    }
    if (name === "ERROR") {
      const reason = isMisspelledError(body)
        ? fromAscii(body, 6, Math.min(body.length, 6 + body[5]))
        : errorReason(body);
      const auth = reason === "300" || reason === "400" || reason === "500";
      this.#fail(
        new ZmqError(auth ? "EACCES" : "EPROTO", `peer sent ERROR ${JSON.stringify(reason)}`),
        auth ? "auth" : "protocol",
      );
      return false;
    }
    if (this.#phase === PHASE_HANDSHAKE) return this.#handshakeCommand(name, body);
    switch (name) {
      case "PING":
        return this.#ping(body);
      case "PONG":
        return true;
      case "SUBSCRIBE":
      case "CANCEL":
        this.#handler.subscription(name === "SUBSCRIBE", body.subarray(commandDataOffset(body)));
        return this.#phase === PHASE_READY;
      case "READY":
      case "HELLO":
      case "WELCOME":
      case "INITIATE":
        this.#fail(protocolError(`peer sent a ${name} command after the handshake`), "protocol");
        return false;
      default:
        // Unknown commands after the handshake are ignored, as libzmq does.
        return true;
    }
  }

  #handshakeCommand(name: string, body: Uint8Array): boolean {
    if (this.#awaitingAuth) {
      this.#fail(
        protocolError(`peer sent ${name} while its credentials were being checked`),
        "protocol",
      );
      return false;
    }
    return this.#handshakeStep(this.#mechanism.command(this, name, body));
  }

  #handshakeStep(step: HandshakeStep): boolean {
    if (step instanceof ZmqError) {
      this.#fail(step, step.code === "EACCES" ? "auth" : "protocol");
      return false;
    }
    if (step === "pending") {
      this.#awaitingAuth = true;
      return true;
    }
    if (step === "continue") return true;
    const peer = this.#mechanism.peerMetadata!;
    const peerType = peer.getText("Socket-Type");
    // A READY without Socket-Type is accepted, as libzmq does.
    if (peerType !== undefined && !socketTypesCompatible(this.#options.socketType, peerType)) {
      this.#fail(
        protocolError(
          `peer socket type ${JSON.stringify(peerType)} cannot talk to ${this.#options.socketType}`,
        ),
        "protocol",
      );
      return false;
    }
    this.#phase = PHASE_READY;
    this.#handshakeDeadline = Infinity;
    if (this.#options.heartbeatInterval > 0) {
      this.#nextPingAt = this.#lastInbound + this.#options.heartbeatInterval;
    }
    const metadata = this.#authMetadata === undefined
      ? peer
      : new Metadata([...peer.entries(), ...this.#authMetadata.entries()]);
    this.#handler.handshakeDone(metadata, this.#greeting!);
    return this.#phase === PHASE_READY;
  }

  /** HandshakeHost: the mechanism wants the peer's credentials checked. */
  authenticate(credentials: readonly Uint8Array[]): void {
    this.#authRequest = credentials;
  }

  /**
   * The credentials the mechanism wants checked (ZAP), once: the owner asks
   * the authenticator and answers with `authenticated`.
   */
  takeAuthRequest(): readonly Uint8Array[] | undefined {
    const request = this.#authRequest;
    this.#authRequest = undefined;
    return request;
  }

  /**
   * The authenticator's answer, with libzmq's effects: 200 carries on (its
   * User-Id and properties join the peer's), 300 closes without a word (the
   * client will retry), 400 and 500 send ERROR with the status, then close.
   */
  authenticated(reply: ZapReply): void {
    if (this.#phase !== PHASE_HANDSHAKE || !this.#awaitingAuth) return;
    this.#awaitingAuth = false;
    const status = reply.statusCode;
    if (status !== "200") {
      if (status !== "300") this.sendCommand(errorCommand(status));
      const detail = reply.statusText === "" ? "" : `: ${reply.statusText}`;
      this.#fail(
        new ZmqError("EACCES", `authentication failed with status ${status}${detail}`),
        "auth",
      );
      return;
    }
    const properties: [string, Uint8Array][] = [];
    if (reply.userId !== "") properties.push(["User-Id", utf8(reply.userId)]);
    properties.push(...reply.metadata.entries());
    this.#authMetadata = new Metadata(properties);
    this.#handshakeStep(this.#mechanism.authenticated(this));
  }

  #ping(body: Uint8Array): boolean {
    const at = commandDataOffset(body);
    if (body.length < at + 2) {
      this.#fail(protocolError("malformed PING: missing time-to-live"), "protocol");
      return false;
    }
    const ttl = ((body[at] << 8) | body[at + 1]) * 100;
    if (ttl > 0) {
      this.#ttlStart = this.#lastInbound;
      this.#ttl = ttl;
      this.#heardSinceTtl = false;
    }
    this.sendCommand(commandBody("PONG", body.subarray(at + 2, at + 2 + 16)));
    return true;
  }

  #heartbeatTimeout(): number {
    const timeout = this.#options.heartbeatTimeout;
    return timeout < 0 ? this.#options.heartbeatInterval : timeout;
  }

  #fail(error: ZmqError, failure: SessionFailure): void {
    if (this.#phase === PHASE_CLOSED) return;
    this.#phase = PHASE_CLOSED;
    this.#error = error;
    this.#failure = failure;
    this.#parts = [];
  }
}

/**
 * libzmq's PLAIN server writes its ERROR name as "\x05ERROR" in C, which C
 * reads as 0x5E "RROR": the body starts 5e 52 52 4f 52, the reason length
 * at offset 5. Such a body is an ERROR all the same.
 */
function isMisspelledError(body: Uint8Array): boolean {
  return body.length >= 6 && body[0] === 0x5e && body[1] === 0x52 && body[2] === 0x52 &&
    body[3] === 0x4f && body[4] === 0x52;
}
