import { ZmqError } from "./errors.ts";

/** A TCP endpoint: `tcp://host:port`; host `*` means every interface, port 0 an ephemeral port. */
export interface TcpEndpoint {
  /** The transport: `tcp`. */
  readonly transport: "tcp";
  /** Host name or address, brackets removed from IPv6; `*` for every interface. */
  readonly host: string;
  /** Port, 0 for an ephemeral port picked on bind (`*` on bind is read as 0). */
  readonly port: number;
}

/** A unix-domain socket endpoint: `ipc://path`. */
export interface IpcEndpoint {
  /** The transport: `ipc`. */
  readonly transport: "ipc";
  /** Filesystem path of the socket. */
  readonly path: string;
}

/** An in-process endpoint: `inproc://name`. */
export interface InprocEndpoint {
  /** The transport: `inproc`. */
  readonly transport: "inproc";
  /** The name shared by binder and connecter. */
  readonly name: string;
}

/** Any endpoint monocoque can bind or connect. */
export type Endpoint = TcpEndpoint | IpcEndpoint | InprocEndpoint;

/**
 * Parses a ZeroMQ endpoint address.
 *
 * @example
 * ```ts
 * parseEndpoint("tcp://127.0.0.1:5555"); // { transport: "tcp", host: "127.0.0.1", port: 5555 }
 * parseEndpoint("tcp://[::1]:0");         // { transport: "tcp", host: "::1", port: 0 }
 * parseEndpoint("ipc:///tmp/feed.sock");  // { transport: "ipc", path: "/tmp/feed.sock" }
 * ```
 */
export function parseEndpoint(address: string): Endpoint {
  if (typeof address !== "string") {
    throw new TypeError(`endpoint must be a string, got ${typeof address}`);
  }
  const match = /^([a-z]+):\/\/(.+)$/.exec(address);
  if (match === null) {
    throw new ZmqError("EINVAL", `invalid endpoint "${address}": expected scheme://address`);
  }
  const [, scheme, rest] = match;
  switch (scheme) {
    case "tcp":
      return parseTcp(address, rest);
    case "ipc":
      return { transport: "ipc", path: rest };
    case "inproc":
      return { transport: "inproc", name: rest };
    default:
      throw new ZmqError("ENOTSUP", `unsupported transport "${scheme}" in endpoint "${address}"`);
  }
}

function parseTcp(address: string, rest: string): TcpEndpoint {
  // A source address ("tcp://src;dst") is a libzmq extension we do not support yet.
  if (rest.includes(";")) {
    throw new ZmqError("ENOTSUP", `source addresses are not supported in endpoint "${address}"`);
  }
  let host: string;
  let portText: string;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0) {
      throw new ZmqError(
        "EINVAL",
        `invalid endpoint "${address}": unbalanced brackets around the host`,
      );
    }
    host = rest.slice(1, close);
    if (rest[close + 1] !== ":") {
      throw new ZmqError("EINVAL", `invalid endpoint "${address}": missing port`);
    }
    portText = rest.slice(close + 2);
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon < 0) throw new ZmqError("EINVAL", `invalid endpoint "${address}": missing port`);
    host = rest.slice(0, colon);
    portText = rest.slice(colon + 1);
    if (host.includes("[") || host.includes("]")) {
      throw new ZmqError(
        "EINVAL",
        `invalid endpoint "${address}": unbalanced brackets around the host`,
      );
    }
  }
  if (host.length === 0) {
    throw new ZmqError("EINVAL", `invalid endpoint "${address}": missing host`);
  }
  let port: number;
  if (portText === "*") {
    port = 0;
  } else if (/^\d+$/.test(portText) && Number(portText) <= 65535) {
    port = Number(portText);
  } else {
    throw new ZmqError("EINVAL", `invalid port "${portText}" in endpoint "${address}"`);
  }
  return { transport: "tcp", host, port };
}

/**
 * Formats an endpoint back into its address, bracketing IPv6 hosts.
 *
 * @example
 * ```ts
 * formatEndpoint({ transport: "tcp", host: "::1", port: 5555 }); // "tcp://[::1]:5555"
 * ```
 */
export function formatEndpoint(endpoint: Endpoint): string {
  switch (endpoint.transport) {
    case "tcp": {
      const host = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
      return `tcp://${host}:${endpoint.port}`;
    }
    case "ipc":
      return `ipc://${endpoint.path}`;
    case "inproc":
      return `inproc://${endpoint.name}`;
  }
}
