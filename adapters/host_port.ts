/**
 * The `host:port` text that names a tcp peer in `Connection.remoteAddress`.
 *
 * @module
 */

/**
 * Formats a tcp peer as `host:port`, an IPv6 host in brackets so that the
 * port stays readable. Node leaves a socket's address undefined once it is
 * destroyed, hence `unknown` and port 0 instead of `undefined` in the text.
 *
 * @example
 * ```ts
 * hostPort("127.0.0.1", 5555); // "127.0.0.1:5555"
 * hostPort("::1", 5555); // "[::1]:5555"
 * hostPort(undefined, undefined); // "unknown:0"
 * ```
 */
export function hostPort(host: string | undefined, port: number | undefined): string {
  const name = host ?? "unknown";
  return `${name.includes(":") ? `[${name}]` : name}:${port ?? 0}`;
}
