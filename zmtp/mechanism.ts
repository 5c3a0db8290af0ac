import type { ZmqError } from "../core/errors.ts";
import type { MechanismName } from "./greeting.ts";
import type { Metadata } from "./metadata.ts";

/** What a mechanism may do to the connection during its handshake. */
export interface HandshakeHost {
  /** Queues a command frame (its body: name and data) to the peer. */
  sendCommand(body: Uint8Array): void;
  /** Our properties, to send in READY or INITIATE. */
  readonly localMetadata: Metadata;
  /**
   * Asks the authenticator about the peer; the answer comes back through
   * `Mechanism.authenticated`. Return "pending" from the step that asks.
   */
  authenticate(credentials: readonly Uint8Array[]): void;
}

/**
 * The outcome of one handshake step: keep going, waiting for the
 * authenticator, done (the peer's metadata is known), or a failure that
 * closes the connection.
 */
export type HandshakeStep = "continue" | "pending" | "ready" | ZmqError;

/**
 * Encodes and decodes traffic after the handshake, for mechanisms that wrap
 * every frame (CURVE encrypts each one into a MESSAGE command).
 */
export interface TrafficCodec {
  /** Encodes one outgoing frame (flags MORE and COMMAND) into the body of a wire data frame. */
  wrap(flags: number, body: Uint8Array): Uint8Array;
  /**
   * Decodes one incoming wire frame into the frame it carries: its first byte
   * holds the carried frame's flags (0x01 MORE, 0x02 COMMAND), the rest its body.
   */
  unwrap(body: Uint8Array): Uint8Array | ZmqError;
}

/**
 * A security mechanism (NULL, PLAIN, CURVE): it drives the handshake that
 * follows the greeting and ends with both sides' metadata exchanged.
 *
 * @example
 * ```ts
 * const mechanism: Mechanism = new NullMechanism();
 * ```
 */
export interface Mechanism {
  /** The name sent in the greeting. */
  readonly name: MechanismName;
  /** Whether we are this mechanism's server (sent in the greeting's as-server byte). */
  readonly asServer: boolean;
  /** The peer's metadata, once the handshake is done. */
  readonly peerMetadata: Metadata | undefined;
  /** Set after the handshake by mechanisms that wrap every frame. */
  readonly traffic: TrafficCodec | undefined;
  /** The peer's greeting is in: send what opens the handshake. */
  start(host: HandshakeHost): void;
  /** A command received during the handshake (ERROR is handled by the caller). */
  command(host: HandshakeHost, name: string, body: Uint8Array): HandshakeStep;
  /** The authenticator accepted the peer (status 200): carry on with the handshake. */
  authenticated(host: HandshakeHost): HandshakeStep;
}
