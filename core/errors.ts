/**
 * The error codes monocoque reports, named after the POSIX/libzmq errno a
 * libzmq user already knows.
 */
export type ZmqErrorCode =
  | "EAGAIN"
  | "EFSM"
  | "EHOSTUNREACH"
  | "ENOTSUP"
  | "EINVAL"
  | "EADDRINUSE"
  | "EADDRNOTAVAIL"
  | "ECONNREFUSED"
  | "ECONNRESET"
  | "EPROTO"
  | "EMSGSIZE"
  | "ETIMEDOUT"
  | "ENOTSOCK"
  | "ECLOSED"
  | "EACCES"
  | "ENOENT";

/**
 * The one error class of monocoque: a message that says what went wrong, a
 * `code` to branch on, and the underlying `cause` when there is one.
 *
 * @example
 * ```ts
 * try {
 *   await socket.receive();
 * } catch (error) {
 *   if (error instanceof ZmqError && error.code === "EAGAIN") retryLater();
 * }
 * ```
 */
export class ZmqError extends Error {
  /** The errno-style code, e.g. `EAGAIN` or `EPROTO`. */
  readonly code: ZmqErrorCode;

  /**
   * An error with a code and a message saying what went wrong.
   * @param code the errno-style code.
   * @param message what went wrong, with the offending value.
   * @param options the underlying cause, if any.
   */
  constructor(code: ZmqErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ZmqError";
    this.code = code;
  }
}

/**
 * A violation of the ZMTP protocol by the peer: the connection it came from is
 * closed and, as in libzmq, a connecting side does not reconnect.
 *
 * @example
 * ```ts
 * throw protocolError("invalid greeting signature 0x41");
 * ```
 */
export function protocolError(message: string): ZmqError {
  return new ZmqError("EPROTO", message);
}
