/**
 * Which endpoints a byte-stream transport (tcp, ipc) can bind or dial, and
 * the host a tcp bind uses.
 *
 * @module
 */
import type { Endpoint, IpcEndpoint, TcpEndpoint } from "../core/endpoint.ts";
import { ZmqError } from "../core/errors.ts";

/** The endpoints a byte-stream transport serves. */
export type StreamEndpoint = TcpEndpoint | IpcEndpoint;

/**
 * Throws `ENOTSUP` for an inproc endpoint: the registry never routes one to a
 * byte-stream transport, but a transport called directly must say so rather
 * than fail on a missing host or path.
 *
 * @param endpoint the endpoint to bind.
 * @param target the endpoint as text, for the message.
 * @example
 * ```ts
 * const endpoint = parseEndpoint("tcp://127.0.0.1:0");
 * assertBindable(endpoint, formatEndpoint(endpoint));
 * endpoint.transport; // "tcp" | "ipc" from here on
 * ```
 */
export function assertBindable(
  endpoint: Endpoint,
  target: string,
): asserts endpoint is StreamEndpoint {
  if (endpoint.transport === "inproc") {
    throw new ZmqError("ENOTSUP", `cannot bind ${target}: inproc is not a byte-stream transport`);
  }
}

/**
 * Throws `ENOTSUP` for an inproc endpoint, as {@link assertBindable} does, and
 * `EINVAL` for tcp host `*`, which names every interface to bind and no peer
 * to dial.
 *
 * @param endpoint the endpoint to connect to.
 * @param target the endpoint as text, for the message.
 * @example
 * ```ts
 * const endpoint = parseEndpoint("tcp://*:5555");
 * assertConnectable(endpoint, formatEndpoint(endpoint)); // throws ZmqError EINVAL
 * ```
 */
export function assertConnectable(
  endpoint: Endpoint,
  target: string,
): asserts endpoint is StreamEndpoint {
  if (endpoint.transport === "inproc") {
    throw new ZmqError(
      "ENOTSUP",
      `cannot connect to ${target}: inproc is not a byte-stream transport`,
    );
  }
  if (endpoint.transport === "tcp" && endpoint.host === "*") {
    throw new ZmqError("EINVAL", `cannot connect to ${target}: "*" is only valid for bind`);
  }
}

/**
 * The host to hand the runtime for a tcp bind: `*` is every IPv4 interface,
 * as in libzmq without ZMQ_IPV6; any other host is used as given.
 *
 * @example
 * ```ts
 * bindHost("*"); // "0.0.0.0"
 * bindHost("::1"); // "::1"
 * ```
 */
export function bindHost(host: string): string {
  return host === "*" ? "0.0.0.0" : host;
}
