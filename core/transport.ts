import type { Endpoint } from "./endpoint.ts";

/**
 * What a transport tells the layer above about one connection. The adapter
 * calls these; they must not throw.
 */
export interface ConnectionHandler {
  /**
   * Bytes arrived. The chunk belongs to the handler from now on: the adapter
   * never reuses its memory, so views into it may be kept.
   */
  data(chunk: Uint8Array): void;
  /**
   * Where the next bytes of the stream belong, when the handler already
   * knows (the rest of a large frame). An adapter that reads into memory it
   * chooses may read into this instead, then deliver the bytes read as a
   * `data` view of it, which the handler takes without copying. Optional on
   * both sides: adapters whose runtime hands out its own buffers ignore it.
   */
  readTarget?(): Uint8Array | undefined;
  /** Bytes written earlier have left; `write` would accept more without growing its buffer. */
  drain(): void;
  /** The connection is gone: `error` is set for a failure, undefined for an orderly end. Called once. */
  closed(error: Error | undefined): void;
}

/**
 * One byte-stream connection, protocol-free. Writes are never partial: the
 * adapter absorbs each runtime's short writes.
 */
export interface Connection {
  /**
   * Sends bytes, in order. Returns `false` when the runtime's send buffer is
   * above its mark: the caller should hold further writes until `drain()`.
   * The caller must not modify `chunk` afterwards.
   */
  write(chunk: Uint8Array): boolean;
  /**
   * Sends several chunks as `write` would, one after the other, where the
   * runtime can hand them to the system in one gathered write (a large body
   * sent uncopied then leaves together with the header before it). Absent
   * where there is no such call; callers fall back to `write`.
   */
  writev?(chunks: readonly Uint8Array[]): boolean;
  /** Stops delivering `data` (inbound backpressure) until `resume()`. */
  pause(): void;
  /** Delivers `data` again after `pause()`. */
  resume(): void;
  /** Closes the connection, flushing what was written; idempotent. `closed()` follows. */
  close(): void;
  /** Closes at once, discarding unsent bytes; idempotent. `closed()` follows. */
  destroy(): void;
  /** The peer's address: `ip:port` for tcp, the path for ipc. */
  readonly remoteAddress: string;
  /**
   * Allocates a buffer of the type the runtime's reads deliver (a Uint8Array
   * subclass on Node and Bun), for data assembled from several reads; absent
   * where a plain Uint8Array is that type.
   */
  readonly allocate?: (size: number) => Uint8Array;
}

/** A bound endpoint accepting connections. */
export interface Listener {
  /** The real address bound, with the port picked by the system for port 0 or `*`. */
  readonly address: string;
  /** Stops accepting; connections already accepted stay open. Idempotent. */
  close(): Promise<void>;
}

/**
 * Called for each new connection; returns the handler that receives its
 * events. Called before any `data`.
 */
export type AcceptConnection = (connection: Connection) => ConnectionHandler;

/**
 * A byte-stream transport for one runtime: it dials and it listens, because
 * ZeroMQ needs bind as much as connect.
 *
 * @example
 * ```ts
 * const listener = await transport.listen(parseEndpoint("tcp://127.0.0.1:0"), (conn) => ({
 *   data: (chunk) => conn.write(chunk), // echo
 *   drain: () => {},
 *   closed: () => {},
 * }));
 * ```
 */
export interface Transport {
  /**
   * Opens a connection. Resolves once it is established (the handler may
   * already have received data); rejects with a `ZmqError` (ECONNREFUSED,
   * ENOENT, ...) when it cannot be made.
   */
  connect(endpoint: Endpoint, accept: AcceptConnection): Promise<Connection>;
  /** Binds and listens; rejects with EADDRINUSE and similar when it cannot. */
  listen(endpoint: Endpoint, accept: AcceptConnection): Promise<Listener>;
}
