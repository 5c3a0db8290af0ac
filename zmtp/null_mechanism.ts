import { protocolError } from "../core/errors.ts";
import { commandBody, commandDataOffset } from "./commands.ts";
import type { HandshakeHost, HandshakeStep, Mechanism, TrafficCodec } from "./mechanism.ts";
import { Metadata } from "./metadata.ts";

/**
 * The NULL mechanism (RFC 23/37): no security, each side sends READY with its
 * metadata straight after the greeting, without waiting for the other's, as
 * libzmq does in both roles.
 *
 * @example
 * ```ts
 * const session = new Session({ mechanism: new NullMechanism(), ... });
 * ```
 */
export class NullMechanism implements Mechanism {
  /** Always `NULL`. */
  readonly name = "NULL" as const;
  /** NULL has no roles: always false. */
  readonly asServer = false;
  /** NULL never wraps traffic. */
  readonly traffic: TrafficCodec | undefined = undefined;
  #peerMetadata: Metadata | undefined;
  readonly #zap: boolean;

  /**
   * @param zap whether peers are put to the authenticator (a server with a ZAP domain set).
   */
  constructor(zap = false) {
    this.#zap = zap;
  }

  /** The peer's READY properties. */
  get peerMetadata(): Metadata | undefined {
    return this.#peerMetadata;
  }

  /** Sends our READY, unless the authenticator must be asked first (`zap`). */
  start(host: HandshakeHost): void {
    if (!this.#zap) host.sendCommand(commandBody("READY", host.localMetadata.encode()));
  }

  /**
   * Accepts exactly one READY; anything else is a protocol error, as in
   * libzmq. With `zap`, the peer is put to the authenticator before our READY.
   */
  command(host: HandshakeHost, name: string, body: Uint8Array): HandshakeStep {
    if (name !== "READY" || this.#peerMetadata !== undefined) {
      return protocolError(`unexpected ${JSON.stringify(name)} command during the NULL handshake`);
    }
    const metadata = Metadata.parse(body, commandDataOffset(body));
    if (!(metadata instanceof Metadata)) return metadata;
    this.#peerMetadata = metadata;
    if (!this.#zap) return "ready";
    host.authenticate([]);
    return "pending";
  }

  /** The authenticator accepted the peer: our READY goes out. */
  authenticated(host: HandshakeHost): HandshakeStep {
    host.sendCommand(commandBody("READY", host.localMetadata.encode()));
    return "ready";
  }
}
