/**
 * Turns the errors a runtime throws into {@link ZmqError}s with the runtime's
 * error as `cause`. Each adapter says what its errors mean; the codes they
 * fold onto and the message shape are the same everywhere, so that code
 * branching on `error.code` does not care which runtime it runs on.
 *
 * Runtime-free: no adapter's types or globals are used here.
 *
 * @module
 */
import { ZmqError, type ZmqErrorCode } from "../core/errors.ts";

/** What the adapter was doing; it decides the code of an error that names nothing we know. */
export type FailedAction = "connect" | "listen" | "io";

/**
 * What a runtime's error means: a code, `"resolve"` when a host name could
 * not be resolved (its code depends on the action), or `undefined` when the
 * error names nothing we know.
 */
export type ErrorMeaning = ZmqErrorCode | "resolve" | undefined;

/** A runtime's error mapping, as {@link errorMapper} builds it. */
export type ToZmqError = (error: unknown, action: FailedAction, message: string) => ZmqError;

/** Errno names a runtime reports, folded onto the codes monocoque documents. */
const ERRNO_CODES: Readonly<Record<string, ZmqErrorCode>> = {
  EADDRINUSE: "EADDRINUSE",
  EADDRNOTAVAIL: "EADDRNOTAVAIL",
  ECONNREFUSED: "ECONNREFUSED",
  ECONNRESET: "ECONNRESET",
  ECONNABORTED: "ECONNRESET",
  EPIPE: "ECONNRESET",
  ETIMEDOUT: "ETIMEDOUT",
  EHOSTUNREACH: "EHOSTUNREACH",
  ENETUNREACH: "EHOSTUNREACH",
  ENETDOWN: "EHOSTUNREACH",
  EACCES: "EACCES",
  EPERM: "EACCES",
  ENOENT: "ENOENT",
  ENOTSOCK: "ENOTSOCK",
  EINVAL: "EINVAL",
};

/** Resolver failures as Node's `dns` (and Bun's `node:net`) name them. */
const RESOLVE_ERRNOS = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_FAIL", "EAI_NODATA"]);

/** Used when the runtime's error carries no errno we know. */
const FALLBACK_CODES: Readonly<Record<FailedAction, ZmqErrorCode>> = {
  connect: "ECONNREFUSED",
  listen: "EADDRINUSE",
  io: "ECONNRESET",
};

/**
 * The `code` property of an error, where Node, Bun and Deno put the errno
 * name (`"ECONNREFUSED"`); `undefined` for anything without one.
 *
 * @example
 * ```ts
 * errnoOf(Object.assign(new Error("refused"), { code: "ECONNREFUSED" })); // "ECONNREFUSED"
 * errnoOf("not an error"); // undefined
 * ```
 */
export function errnoOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/**
 * The code an errno name folds onto, or `undefined` for one we do not know.
 *
 * @example
 * ```ts
 * errnoCode("ENETUNREACH"); // "EHOSTUNREACH"
 * errnoCode("EWHATEVER"); // undefined
 * ```
 */
export function errnoCode(errno: string): ZmqErrorCode | undefined {
  return ERRNO_CODES[errno];
}

/**
 * What a Node-style error means, read from the errno name in its `code`:
 * resolver failures, then the errno table. Deno's errors need more than
 * this (see its adapter), Node's and Bun's need nothing else.
 *
 * @example
 * ```ts
 * errnoMeaning(Object.assign(new Error("x"), { code: "EPIPE" })); // "ECONNRESET"
 * errnoMeaning(Object.assign(new Error("x"), { code: "ENOTFOUND" })); // "resolve"
 * ```
 */
export function errnoMeaning(error: unknown): ErrorMeaning {
  const errno = errnoOf(error);
  if (typeof errno !== "string") return undefined;
  if (RESOLVE_ERRNOS.has(errno)) return "resolve";
  return errnoCode(errno);
}

/**
 * Builds a runtime's error mapping from what its errors mean. The mapping
 * passes a `ZmqError` through untouched, so that an error already mapped
 * deeper down keeps its code; any other error becomes a `ZmqError` whose
 * message is `message: <the error's message>` and whose `cause` is the error.
 *
 * @example
 * ```ts
 * const toZmqError = errorMapper(errnoMeaning);
 * const refused = Object.assign(new Error("connect failed"), { code: "ECONNREFUSED" });
 * toZmqError(refused, "connect", "cannot connect to tcp://127.0.0.1:5555").code; // "ECONNREFUSED"
 * toZmqError(new Error("odd"), "listen", "cannot bind tcp://127.0.0.1:5555").code; // "EADDRINUSE"
 * ```
 */
export function errorMapper(meaning: (error: unknown) => ErrorMeaning): ToZmqError {
  return (error, action, message) => {
    if (error instanceof ZmqError) return error;
    const meant = meaning(error);
    let code: ZmqErrorCode;
    if (meant === "resolve") {
      // A name with no address: nothing of this host to bind, no peer to reach.
      code = action === "listen" ? "EADDRNOTAVAIL" : "EHOSTUNREACH";
    } else {
      code = meant ?? FALLBACK_CODES[action];
    }
    const detail = error instanceof Error ? error.message : String(error);
    return new ZmqError(code, `${message}: ${detail}`, { cause: error });
  };
}
