import { utf8 } from "../core/bytes.ts";
import { ZmqError } from "../core/errors.ts";
import { z85Decode, z85Encode } from "../core/z85.ts";
import type { CurveCrypto } from "../zmtp/curve_crypto.ts";
import { CurveMechanism } from "../zmtp/curve_mechanism.ts";
import type { Mechanism } from "../zmtp/mechanism.ts";
import { NullMechanism } from "../zmtp/null_mechanism.ts";
import { PlainMechanism } from "../zmtp/plain_mechanism.ts";

/** A CURVE key: 40 Z85 characters or 32 bytes. */
export type CurveKey = string | Uint8Array;

/** The security settings of a socket, as libzmq's options set them. */
export interface SecuritySettings {
  plainServer: boolean;
  plainUsername: Uint8Array | undefined;
  plainPassword: Uint8Array | undefined;
  curveServer: boolean;
  curvePublicKey: Uint8Array | undefined;
  curveSecretKey: Uint8Array | undefined;
  curveServerKey: Uint8Array | undefined;
  zapDomain: string;
}

/** No security: the NULL mechanism. */
export function defaultSecurity(): SecuritySettings {
  return {
    plainServer: false,
    plainUsername: undefined,
    plainPassword: undefined,
    curveServer: false,
    curvePublicKey: undefined,
    curveSecretKey: undefined,
    curveServerKey: undefined,
    zapDomain: "",
  };
}

/**
 * Reads a CURVE key given as 40 Z85 characters or 32 bytes.
 *
 * @example
 * ```ts
 * curveKey("curvePublicKey", "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7").length; // 32
 * ```
 */
export function curveKey(option: string, value: unknown): Uint8Array {
  if (typeof value === "string") {
    if (value.length !== 40) {
      throw new RangeError(`option ${option} must be 40 Z85 characters, got ${value.length}`);
    }
    return z85Decode(value);
  }
  if (value instanceof Uint8Array) {
    if (value.length !== 32) {
      throw new RangeError(`option ${option} must be 32 bytes, got ${value.length}`);
    }
    return value;
  }
  throw new TypeError(`option ${option} must be a Z85 string or a Uint8Array, got ${typeof value}`);
}

/**
 * Reads a PLAIN username or password: text (UTF-8) or bytes, up to 255 bytes.
 *
 * @example
 * ```ts
 * plainCredential("plainUsername", "admin"); // bytes of "admin"
 * ```
 */
export function plainCredential(option: string, value: unknown): Uint8Array {
  const bytes = typeof value === "string" ? utf8(value) : value;
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`option ${option} must be a string or Uint8Array, got ${typeof value}`);
  }
  if (bytes.length > 255) {
    throw new RangeError(`option ${option} must be at most 255 bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** The mechanism the settings select, or a clear error when they are incomplete. */
export function mechanismName(settings: SecuritySettings): "NULL" | "PLAIN" | "CURVE" {
  if (settings.curveServer || settings.curveServerKey !== undefined) return "CURVE";
  if (settings.plainServer || settings.plainUsername !== undefined) return "PLAIN";
  return "NULL";
}

/**
 * Checks that the settings select a complete mechanism, naming what is
 * missing, so that bind() and connect() fail clearly rather than each connection.
 *
 * @example
 * ```ts
 * validateSecurity(settings); // throws EINVAL "a CURVE client needs curvePublicKey and curveSecretKey"
 * ```
 */
export function validateSecurity(settings: SecuritySettings): void {
  const name = mechanismName(settings);
  if (name === "CURVE") {
    if (settings.curveSecretKey === undefined) {
      throw new ZmqError("EINVAL", "CURVE needs curveSecretKey (and a client, curvePublicKey)");
    }
    if (!settings.curveServer && settings.curvePublicKey === undefined) {
      throw new ZmqError("EINVAL", "a CURVE client needs curvePublicKey as well as curveSecretKey");
    }
  }
}

/**
 * A new mechanism for one connection, as the settings ask: CURVE when
 * `curveServer` or `curveServerKey` is set, PLAIN when `plainServer` or
 * `plainUsername` is, NULL otherwise. Incomplete settings are an error
 * naming what is missing.
 *
 * @example
 * ```ts
 * const mechanism = createMechanism(settings, crypto, true);
 * ```
 */
export function createMechanism(
  settings: SecuritySettings,
  crypto: () => CurveCrypto,
  zapEnabled: boolean,
): Mechanism {
  switch (mechanismName(settings)) {
    case "CURVE": {
      validateSecurity(settings);
      const secretKey = settings.curveSecretKey!;
      if (settings.curveServer) return new CurveMechanism(crypto(), { server: true, secretKey });
      return new CurveMechanism(crypto(), {
        server: false,
        serverKey: settings.curveServerKey!,
        publicKey: settings.curvePublicKey!,
        secretKey,
      });
    }
    case "PLAIN":
      if (settings.plainServer) return new PlainMechanism({ server: true });
      return new PlainMechanism({
        server: false,
        username: settings.plainUsername!,
        password: settings.plainPassword ?? new Uint8Array(0),
      });
    default:
      return new NullMechanism(zapEnabled);
  }
}

/**
 * A new CURVE key pair, as 40-character Z85 strings (as `zeromq`'s `curveKeyPair`).
 *
 * @example
 * ```ts
 * const { publicKey, secretKey } = curveKeyPairWith(crypto);
 * ```
 */
export function curveKeyPairWith(crypto: CurveCrypto): { publicKey: string; secretKey: string } {
  const secret = crypto.randomBytes(32);
  return { publicKey: z85Encode(crypto.publicKey(secret)), secretKey: z85Encode(secret) };
}
