/**
 * Drives one Session as a peer's bytes would: the whole input, in a given
 * chunking, then the handshake clock run out. Returns a trace of everything
 * the session did, to compare chunkings, and throws `InvariantError` when the
 * session breaks a rule that holds for any input.
 *
 * @module
 */

import { toHex } from "../core/bytes.ts";
import { ZmqError } from "../core/errors.ts";
import type { HandshakeHost, HandshakeStep, Mechanism, TrafficCodec } from "../zmtp/mechanism.ts";
import { Metadata } from "../zmtp/metadata.ts";
import { Session } from "../zmtp/session.ts";
import type { SocketTypeName } from "../zmtp/socket_type.ts";
import type { ZapReply } from "../zmtp/zap.ts";
import { InvariantError } from "./invariant.ts";
import { fingerprint } from "./prng.ts";

/** Frames that span reads and stay below this are allocated whole before their bytes arrive. */
const GATHER_ABOVE = 1024 * 1024;
/** The handshake interval given to fuzzed sessions; the clock is run past it at the end. */
const HANDSHAKE_INTERVAL = 5_000;

/** How to build the session under test. */
export interface SessionSetup {
  /** Our socket type. */
  readonly socketType: SocketTypeName;
  /** A fresh mechanism for one run (fixed keys and nonces, so runs are reproducible). */
  readonly mechanism: () => Mechanism;
  /** ZMQ_MAXMSGSIZE, -1 for none. */
  readonly maxMessageSize: number;
}

/**
 * How the authenticator answers: at once, inside the handshake step (so the
 * trace cannot depend on chunking), or after each chunk with a given status.
 */
export type AuthMode = "sync" | ZapReply["statusCode"];

/**
 * A mechanism whose authentication requests are accepted on the spot: the
 * session never waits, so every chunking of the same bytes must behave alike.
 */
class SyncAuthMechanism implements Mechanism {
  readonly #inner: Mechanism;

  constructor(inner: Mechanism) {
    this.#inner = inner;
  }

  get name(): Mechanism["name"] {
    return this.#inner.name;
  }

  get asServer(): boolean {
    return this.#inner.asServer;
  }

  get peerMetadata(): Metadata | undefined {
    return this.#inner.peerMetadata;
  }

  get traffic(): TrafficCodec | undefined {
    return this.#inner.traffic;
  }

  start(host: HandshakeHost): void {
    this.#inner.start(host);
  }

  command(host: HandshakeHost, name: string, body: Uint8Array): HandshakeStep {
    const step = this.#inner.command(host, name, body);
    return step === "pending" ? this.#inner.authenticated(host) : step;
  }

  authenticated(host: HandshakeHost): HandshakeStep {
    return this.#inner.authenticated(host);
  }
}

const FAILURES = new Set(["protocol", "auth", "timeout"]);
const CODES = new Set(["EPROTO", "EMSGSIZE", "EACCES", "ETIMEDOUT"]);

/**
 * Feeds `chunks` to a new session built from `setup` and returns its trace:
 * handshake, messages, subscriptions, the end, and all it wrote.
 *
 * @example
 * ```ts
 * const trace = driveSession(setup, [input], "sync");
 * ```
 */
export function driveSession(
  setup: SessionSetup,
  chunks: readonly Uint8Array[],
  auth: AuthMode,
): string[] {
  const trace: string[] = [];
  const limit = setup.maxMessageSize;
  let inputLength = 0;
  for (const chunk of chunks) inputLength += chunk.length;
  let ended = false;
  const after = (what: string): void => {
    if (ended || session.closed) throw new InvariantError(`${what} after the session closed`);
  };
  const mechanism = auth === "sync" ? new SyncAuthMechanism(setup.mechanism()) : setup.mechanism();
  const session = new Session(
    {
      socketType: setup.socketType,
      routingId: new Uint8Array(0),
      mechanism,
      maxMessageSize: limit,
      handshakeInterval: HANDSHAKE_INTERVAL,
      heartbeatInterval: 0,
      heartbeatTimeToLive: 0,
      heartbeatTimeout: -1,
    },
    {
      handshakeDone: (peer) => {
        after("handshakeDone");
        const properties = [...peer.entries()].map(([name, value]) => `${name}=${toHex(value)}`);
        trace.push(`ready ${properties.join(",")}`);
      },
      message: (frames) => {
        after("message");
        if (!session.ready) throw new InvariantError("a message before the handshake completed");
        for (const frame of frames) {
          if (limit >= 0 && frame.length > limit) {
            throw new InvariantError(`a frame of ${frame.length} bytes over the ${limit} limit`);
          }
        }
        trace.push(`message ${frames.map(fingerprint).join("|")}`);
      },
      subscription: (subscribe, topic) => {
        after("subscription");
        if (!session.ready) throw new InvariantError("a subscription before the handshake");
        trace.push(`${subscribe ? "subscribe" : "cancel"} ${toHex(topic)}`);
      },
    },
  );
  // Every buffer the decoder makes for a frame goes through here: none may exceed the limit,
  // and without one none may exceed what arrived, except a frame small enough to be made whole.
  session.allocate = (size) => {
    if (limit >= 0 && size > limit) {
      throw new InvariantError(`allocated ${size} bytes with maxMessageSize ${limit}`);
    }
    if (size > Math.max(GATHER_ABOVE, inputLength)) {
      throw new InvariantError(`allocated ${size} bytes for an input of ${inputLength} bytes`);
    }
    return new Uint8Array(size);
  };
  const output: string[] = [];
  const take = (): void => {
    for (const chunk of session.takeOutput()) output.push(toHex(chunk));
  };
  session.start(0);
  take();
  for (const chunk of chunks) {
    session.receive(chunk, 0);
    if (session.closed) ended = true;
    if (auth !== "sync") {
      const request = session.takeAuthRequest();
      if (request !== undefined) {
        session.authenticated({
          statusCode: auth,
          statusText: "",
          userId: auth === "200" ? "user" : "",
          metadata: new Metadata([["X-Fuzz", new Uint8Array([1])]]),
        });
        if (session.closed) ended = true;
      }
    }
    take();
  }
  const ready = session.ready;
  session.tick(HANDSHAKE_INTERVAL + 1);
  if (!ready && !session.closed) {
    throw new InvariantError("the handshake clock ran out and the session is still open");
  }
  if (session.ready) {
    // The way out must work after whatever came in.
    session.send([new Uint8Array([1, 2, 3]), new Uint8Array(300)]);
    session.sendSubscription(true, new Uint8Array([0x61]));
  }
  take();
  if (session.closed) {
    const error = session.error;
    if (!(error instanceof ZmqError)) {
      throw new InvariantError(`closed without a ZmqError: ${String(error)}`);
    }
    if (!FAILURES.has(session.failure ?? "") || !CODES.has(error.code)) {
      throw new InvariantError(`closed with failure ${session.failure} and code ${error.code}`);
    }
    trace.push(`closed ${session.failure} ${error.code} ${error.message}`);
  }
  trace.push(`output ${output.join("")}`);
  return trace;
}
