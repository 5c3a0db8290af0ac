import { fromAscii } from "../core/bytes.ts";
import { protocolError, type ZmqError } from "../core/errors.ts";

/** Length of a ZMTP 3.x greeting. */
export const GREETING_LENGTH = 64;

/** Security mechanisms as named in the greeting. */
export type MechanismName = "NULL" | "PLAIN" | "CURVE";

/** What we announce in our greeting. */
export interface GreetingOptions {
  /** The security mechanism, e.g. `NULL`. */
  readonly mechanism: MechanismName;
  /** Whether we are the server of that mechanism (always false for NULL). */
  readonly asServer: boolean;
  /**
   * Length of our routing id: libzmq writes it plus one into the padding so
   * that a ZMTP 1.0 peer can read the signature as a frame header.
   */
  readonly routingIdLength: number;
}

/** The peer's greeting, once fully read. */
export interface PeerGreeting {
  /** ZMTP major version, 3 or above. */
  readonly major: number;
  /** ZMTP minor version: 0 for a 3.0 peer (subscriptions travel as messages). */
  readonly minor: number;
  /** The peer's mechanism, as sent (NUL padding removed). */
  readonly mechanism: string;
  /** The as-server byte; informative only, libzmq always sends 0. */
  readonly asServer: boolean;
}

/**
 * Builds our whole 64-byte greeting, sent at once: libzmq replies to each of
 * its stages, so a peer that waits for ours before sending its own never
 * deadlocks with us.
 *
 * @example
 * ```ts
 * const bytes = encodeGreeting({ mechanism: "NULL", asServer: false, routingIdLength: 0 });
 * bytes.length; // 64
 * ```
 */
export function encodeGreeting(options: GreetingOptions): Uint8Array {
  const bytes = new Uint8Array(GREETING_LENGTH);
  bytes[0] = 0xff;
  // Bytes 1-8: u64 padding; the routing id length + 1 fits in the low byte.
  bytes[8] = (options.routingIdLength + 1) & 0xff;
  bytes[7] = (options.routingIdLength + 1) >> 8;
  bytes[9] = 0x7f;
  bytes[10] = 3;
  bytes[11] = 1;
  for (let i = 0; i < options.mechanism.length; i++) {
    bytes[12 + i] = options.mechanism.charCodeAt(i);
  }
  bytes[32] = options.asServer ? 1 : 0;
  return bytes;
}

/**
 * Reads the peer's greeting incrementally: byte by byte, in libzmq's
 * 10 + 1 + 53 stages, or together with the frames that follow it. A peer that
 * speaks ZMTP 1.0 or 2.0 is refused as soon as its first bytes show it, since
 * such a peer would wait for ours in its own dialect and never send 64 bytes.
 *
 * @example
 * ```ts
 * const reader = new GreetingReader("NULL");
 * const used = reader.push(chunk, 0); // bytes of chunk consumed
 * if (reader.greeting) startHandshake(chunk.subarray(used));
 * ```
 */
export class GreetingReader {
  readonly #expectedMechanism: string;
  readonly #bytes = new Uint8Array(GREETING_LENGTH);
  #filled = 0;
  #greeting: PeerGreeting | undefined;

  /** @param expectedMechanism the mechanism we speak; the peer's must match. */
  constructor(expectedMechanism: MechanismName) {
    this.#expectedMechanism = expectedMechanism;
  }

  /** The peer's greeting, once complete. */
  get greeting(): PeerGreeting | undefined {
    return this.#greeting;
  }

  /**
   * Consumes greeting bytes from `chunk` starting at `offset`.
   * Returns the offset just past the bytes used, or a protocol error.
   */
  push(chunk: Uint8Array, offset: number): number | ZmqError {
    const take = Math.min(GREETING_LENGTH - this.#filled, chunk.length - offset);
    const before = this.#filled;
    this.#bytes.set(chunk.subarray(offset, offset + take), before);
    this.#filled += take;
    const error = this.#check(before);
    if (error !== undefined) return error;
    return offset + take;
  }

  #check(before: number): ZmqError | undefined {
    const bytes = this.#bytes;
    const filled = this.#filled;
    if (before < 1 && filled >= 1 && bytes[0] !== 0xff) {
      return protocolError(
        `peer greeting starts with 0x${
          hex(bytes[0])
        }, not 0xff: not a ZMTP 3 peer (ZMTP 1.0 is not supported)`,
      );
    }
    if (before < 10 && filled >= 10 && (bytes[9] & 1) === 0) {
      return protocolError(
        "peer speaks ZMTP 1.0, which is not supported (ZMTP 3.0 or later needed)",
      );
    }
    if (before < 11 && filled >= 11 && bytes[10] < 3) {
      return protocolError(
        `peer speaks ZMTP ${
          bytes[10] === 1 ? "2.0" : `revision ${bytes[10]}`
        }, which is not supported (ZMTP 3.0 or later needed)`,
      );
    }
    if (filled < GREETING_LENGTH) return undefined;
    let end = 32;
    while (end > 12 && bytes[end - 1] === 0) end--;
    const mechanism = fromAscii(bytes, 12, end);
    if (mechanism !== this.#expectedMechanism) {
      return protocolError(
        `peer uses the ${
          JSON.stringify(mechanism)
        } security mechanism, we use ${this.#expectedMechanism}`,
      );
    }
    this.#greeting = { major: bytes[10], minor: bytes[11], mechanism, asServer: bytes[32] === 1 };
    return undefined;
  }
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}
