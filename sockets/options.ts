import { EMPTY, utf8 } from "../core/bytes.ts";
import { curveKey, defaultSecurity, plainCredential, type SecuritySettings } from "./security.ts";

/**
 * Options every socket type accepts, named as the npm `zeromq` package names
 * them. Each is also a property of the socket.
 */
export interface SocketOptions {
  /**
   * Our routing id (ZMQ_ROUTING_ID), 1 to 255 bytes; a Router names us by it.
   * @default none
   */
  routingId?: string | Uint8Array | null;
  /**
   * Most messages queued for each peer (ZMQ_SNDHWM); 0 for no limit.
   * @default 1000
   */
  sendHighWaterMark?: number;
  /**
   * Most messages queued from each peer before reading from it pauses (ZMQ_RCVHWM); 0 for no limit.
   * @default 1000
   */
  receiveHighWaterMark?: number;
  /**
   * Largest accepted frame in bytes (ZMQ_MAXMSGSIZE); a peer sending a larger one is disconnected. -1 for no limit.
   * @default -1
   */
  maxMessageSize?: number;
  /**
   * Milliseconds from connection to the end of the handshake before the peer is dropped (ZMQ_HANDSHAKE_IVL); 0 for no limit.
   * @default 30000
   */
  handshakeInterval?: number;
  /**
   * Milliseconds between the PINGs we send (ZMQ_HEARTBEAT_IVL); 0 for none.
   * @default 0
   */
  heartbeatInterval?: number;
  /**
   * Time-to-live we ask peers to apply to our heartbeats, in ms (ZMQ_HEARTBEAT_TTL), sent in tenths of a second.
   * @default 0
   */
  heartbeatTimeToLive?: number;
  /**
   * Milliseconds without any traffic after a PING before the connection is dropped (ZMQ_HEARTBEAT_TIMEOUT); -1 means the heartbeat interval.
   * @default -1
   */
  heartbeatTimeout?: number;
  /**
   * Milliseconds before reconnecting a lost or refused connection (ZMQ_RECONNECT_IVL); -1 for never.
   * @default 100
   */
  reconnectInterval?: number;
  /**
   * Upper bound of the exponential reconnect backoff in ms (ZMQ_RECONNECT_IVL_MAX); 0 for a fixed interval.
   * @default 0
   */
  reconnectMaxInterval?: number;
  /**
   * Milliseconds `close()` keeps connections open to send queued messages (ZMQ_LINGER); -1 for no limit, 0 to drop them.
   * @default -1
   */
  linger?: number;
  /**
   * Milliseconds `send()` may wait for room before rejecting with EAGAIN (ZMQ_SNDTIMEO); -1 waits for ever, 0 never waits.
   * @default -1
   */
  sendTimeout?: number;
  /**
   * Milliseconds `receive()` may wait for a message before rejecting with EAGAIN (ZMQ_RCVTIMEO); -1 waits for ever, 0 never waits.
   * @default -1
   */
  receiveTimeout?: number;
  /**
   * Queue messages only for peers whose connection is complete (ZMQ_IMMEDIATE): a connect()ed
   * endpoint gets its pipe when its handshake is done, and loses it when disconnected.
   * @default false
   */
  immediate?: boolean;
  /**
   * Be the PLAIN server (ZMQ_PLAIN_SERVER): clients' usernames and passwords go to the ZAP
   * handler (see `Authenticator`), and a client without one is refused.
   * @default false
   */
  plainServer?: boolean;
  /** Be a PLAIN client with this username (ZMQ_PLAIN_USERNAME), UTF-8, up to 255 bytes. @default none */
  plainUsername?: string | Uint8Array | null;
  /** The PLAIN client's password (ZMQ_PLAIN_PASSWORD), UTF-8, up to 255 bytes. @default none */
  plainPassword?: string | Uint8Array | null;
  /**
   * Be the CURVE server (ZMQ_CURVE_SERVER), with `curveSecretKey` as the server's secret key.
   * Client keys go to the ZAP handler when one is bound; without one, every client is accepted.
   * @default false
   */
  curveServer?: boolean;
  /** Our CURVE public key (ZMQ_CURVE_PUBLICKEY): 40 Z85 characters or 32 bytes. @default none */
  curvePublicKey?: string | Uint8Array | null;
  /** Our CURVE secret key (ZMQ_CURVE_SECRETKEY): 40 Z85 characters or 32 bytes. @default none */
  curveSecretKey?: string | Uint8Array | null;
  /**
   * Be a CURVE client of the server with this public key (ZMQ_CURVE_SERVERKEY); needs
   * `curvePublicKey` and `curveSecretKey` too.
   * @default none
   */
  curveServerKey?: string | Uint8Array | null;
  /**
   * The ZAP domain sent to the handler (ZMQ_ZAP_DOMAIN); with the NULL mechanism, setting it makes
   * accepted peers go through ZAP.
   * @default ""
   */
  zapDomain?: string | null;
}

/** Options of one `connect()`. */
export interface ConnectOptions {
  /**
   * The routing id a Router (or Stream) gives this peer, instead of the one the peer announces
   * (ZMQ_CONNECT_ROUTING_ID).
   */
  routingId?: string | Uint8Array;
}

/** The socket types where libzmq applies ZMQ_CONFLATE. */
export const CONFLATING_TYPES: readonly string[] = ["PUSH", "PULL", "PUB", "SUB", "DEALER"];

/** The validated option values of a socket. */
export interface ResolvedOptions extends SecuritySettings {
  routingId: Uint8Array;
  sendHighWaterMark: number;
  receiveHighWaterMark: number;
  maxMessageSize: number;
  handshakeInterval: number;
  heartbeatInterval: number;
  heartbeatTimeToLive: number;
  heartbeatTimeout: number;
  reconnectInterval: number;
  reconnectMaxInterval: number;
  linger: number;
  sendTimeout: number;
  receiveTimeout: number;
  immediate: boolean;
  conflate: boolean;
}

/** The libzmq defaults. */
export function defaultOptions(): ResolvedOptions {
  return {
    routingId: EMPTY,
    sendHighWaterMark: 1000,
    receiveHighWaterMark: 1000,
    maxMessageSize: -1,
    handshakeInterval: 30000,
    heartbeatInterval: 0,
    heartbeatTimeToLive: 0,
    heartbeatTimeout: -1,
    reconnectInterval: 100,
    reconnectMaxInterval: 0,
    linger: -1,
    sendTimeout: -1,
    receiveTimeout: -1,
    immediate: false,
    conflate: false,
    ...defaultSecurity(),
  };
}

/**
 * Validates an integer option, with its name and value in the error.
 *
 * @example
 * ```ts
 * integerOption("sendHighWaterMark", 10, 0); // 10
 * ```
 */
export function integerOption(name: string, value: unknown, min: number, max = 0x7fffffff): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`option ${name} must be an integer, got ${String(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`option ${name} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

/**
 * Validates a boolean option.
 *
 * @example
 * ```ts
 * booleanOption("immediate", true); // true
 * ```
 */
export function booleanOption(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") {
    throw new TypeError(`option ${name} must be a boolean, got ${String(value)}`);
  }
  return value;
}

/**
 * Validates a routing id: 1 to 255 bytes (or null for none).
 *
 * @example
 * ```ts
 * routingIdOption("worker-1"); // bytes of "worker-1"
 * ```
 */
export function routingIdOption(value: unknown): Uint8Array {
  if (value === null || value === undefined) return EMPTY;
  const bytes = typeof value === "string" ? utf8(value) : value;
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`option routingId must be a string or Uint8Array, got ${typeof value}`);
  }
  if (bytes.length === 0 || bytes.length > 255) {
    throw new RangeError(`option routingId must be 1 to 255 bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** How each common option is checked: integer bounds, or the routing id rule. */
export const OPTION_CHECKS: Readonly<Record<keyof ResolvedOptions, (value: unknown) => unknown>> = {
  routingId: routingIdOption,
  sendHighWaterMark: (v) => integerOption("sendHighWaterMark", v, 0),
  receiveHighWaterMark: (v) => integerOption("receiveHighWaterMark", v, 0),
  maxMessageSize: (v) => integerOption("maxMessageSize", v, -1, Number.MAX_SAFE_INTEGER),
  handshakeInterval: (v) => integerOption("handshakeInterval", v, 0),
  heartbeatInterval: (v) => integerOption("heartbeatInterval", v, 0),
  heartbeatTimeToLive: (v) => integerOption("heartbeatTimeToLive", v, 0, 6553599),
  heartbeatTimeout: (v) => integerOption("heartbeatTimeout", v, -1),
  reconnectInterval: (v) => integerOption("reconnectInterval", v, -1),
  reconnectMaxInterval: (v) => integerOption("reconnectMaxInterval", v, 0),
  linger: (v) => integerOption("linger", v, -1),
  sendTimeout: (v) => integerOption("sendTimeout", v, -1),
  receiveTimeout: (v) => integerOption("receiveTimeout", v, -1),
  immediate: (v) => booleanOption("immediate", v),
  conflate: (v) => booleanOption("conflate", v),
  plainServer: (v) => booleanOption("plainServer", v),
  plainUsername: (v) => v === null ? undefined : plainCredential("plainUsername", v),
  plainPassword: (v) => v === null ? undefined : plainCredential("plainPassword", v),
  curveServer: (v) => booleanOption("curveServer", v),
  curvePublicKey: (v) => v === null ? undefined : curveKey("curvePublicKey", v),
  curveSecretKey: (v) => v === null ? undefined : curveKey("curveSecretKey", v),
  curveServerKey: (v) => v === null ? undefined : curveKey("curveServerKey", v),
  zapDomain: (v) => {
    if (v === null) return "";
    if (typeof v !== "string") {
      throw new TypeError(`option zapDomain must be a string, got ${typeof v}`);
    }
    return v;
  },
};
