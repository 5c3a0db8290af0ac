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

  /** The peer's READY properties. */
  get peerMetadata(): Metadata | undefined {
    return this.#peerMetadata;
  }

  /** Sends our READY. */
  start(host: HandshakeHost): void {
    host.sendCommand(commandBody("READY", host.localMetadata.encode()));
  }

  /** Accepts exactly one READY; anything else is a protocol error, as in libzmq. */
  command(_host: HandshakeHost, name: string, body: Uint8Array): HandshakeStep {
    if (name !== "READY") {
      return protocolError(`unexpected ${JSON.stringify(name)} command during the NULL handshake`);
    }
    const metadata = Metadata.parse(body, commandDataOffset(body));
    if (!(metadata instanceof Metadata)) return metadata;
    this.#peerMetadata = metadata;
    return "ready";
  }
}
