import { fromUtf8, utf8 } from "../core/bytes.ts";
import { ZmqError } from "../core/errors.ts";
import type { MechanismName } from "./greeting.ts";
import { Metadata } from "./metadata.ts";

/** What a mechanism asks the authenticator (ZAP, RFC 27) about a peer. */
export interface ZapRequest {
  /** The server socket's ZAP domain (ZMQ_ZAP_DOMAIN); empty when unset. */
  readonly domain: string;
  /** The peer's IP address without port, or the ipc path. */
  readonly address: string;
  /** The server socket's own routing id (libzmq sends it, not the peer's). */
  readonly routingId: Uint8Array;
  /** The mechanism in use. */
  readonly mechanism: MechanismName;
  /** NULL: none; PLAIN: username, password; CURVE: the client's 32-byte public key. */
  readonly credentials: readonly Uint8Array[];
}

/** The authenticator's answer. */
export interface ZapReply {
  /** "200" accept, "300" temporary failure, "400" refused, "500" internal error. */
  readonly statusCode: "200" | "300" | "400" | "500";
  /** Free text, for logs. */
  readonly statusText: string;
  /** The authenticated user (only meaningful with 200); becomes the `User-Id` property. */
  readonly userId: string;
  /** Properties attached to the peer (only meaningful with 200). */
  readonly metadata: Metadata;
}

/**
 * The frames of a ZAP request after the empty delimiter, as libzmq sends
 * them to a handler bound at `inproc://zeromq.zap.01` (request id always "1").
 *
 * @example
 * ```ts
 * encodeZapRequest(request); // ["1.0", "1", domain, address, identity, "PLAIN", user, password]
 * ```
 */
export function encodeZapRequest(request: ZapRequest): Uint8Array[] {
  return [
    utf8("1.0"),
    utf8("1"),
    utf8(request.domain),
    utf8(request.address),
    request.routingId,
    utf8(request.mechanism),
    ...request.credentials,
  ];
}

/**
 * Parses a handler's reply (frames after the empty delimiter), as strictly
 * as libzmq: 6 frames, version 1.0, request id "1", a status of 200, 300, 400
 * or 500, and metadata that parses.
 *
 * @example
 * ```ts
 * const reply = decodeZapReply(frames);
 * if (reply instanceof ZmqError) refuse(reply);
 * ```
 */
export function decodeZapReply(frames: readonly Uint8Array[]): ZapReply | ZmqError {
  if (frames.length !== 6) {
    return new ZmqError(
      "EPROTO",
      `ZAP reply has ${frames.length} frames after the delimiter, not 6`,
    );
  }
  const [version, requestId, status, text, userId, metadata] = frames;
  if (fromUtf8(version) !== "1.0") return new ZmqError("EPROTO", `ZAP reply version is not 1.0`);
  if (fromUtf8(requestId) !== "1") {
    return new ZmqError("EPROTO", "ZAP reply is for another request");
  }
  const code = fromUtf8(status);
  if (code !== "200" && code !== "300" && code !== "400" && code !== "500") {
    return new ZmqError(
      "EPROTO",
      `ZAP reply status ${JSON.stringify(code)} is not 200, 300, 400 or 500`,
    );
  }
  const parsed = Metadata.parse(metadata, 0);
  if (parsed instanceof ZmqError) return parsed;
  return {
    statusCode: code,
    statusText: fromUtf8(text),
    userId: fromUtf8(userId),
    metadata: parsed,
  };
}
