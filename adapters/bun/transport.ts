// Bun's types (@types/bun): tsc loads them from tsconfig "types"; this also
// lets `deno check` type-check this file when a graph reaches it (the "./bun"
// export, or adapters/auto.ts) instead of failing on an unknown `Bun`.
/// <reference types="bun" />
/**
 * The Bun byte-stream transport: tcp and ipc (unix-domain sockets) over
 * `Bun.connect` and `Bun.listen`.
 *
 * @module
 */
import { type Endpoint, formatEndpoint } from "../../core/endpoint.ts";
import { ZmqError } from "../../core/errors.ts";
import type {
  AcceptConnection,
  Connection,
  ConnectionHandler,
  Listener,
  Transport,
} from "../../core/transport.ts";
import { errnoMeaning, errnoOf, errorMapper, type ErrorMeaning } from "../errors.ts";
import { hostPort } from "../host_port.ts";
import { BoundSocketFile, type IpcFiles, removeStaleSocket } from "../ipc_path.ts";
import { nodeSocketFiles } from "../node_socket_files.ts";
import { assertBindable, assertConnectable, bindHost } from "../stream_endpoint.ts";

/** `write` returns false once this many bytes wait in the adapter for Bun's `drain`. */
const HIGH_WATER_MARK = 64 * 1024;

/** Bun's errors carry their errno in `code`, as Node's do, with one addition. */
function bunErrorMeaning(error: unknown): ErrorMeaning {
  const errno = errnoOf(error);
  // Bun.dns.lookup names its codes DNS_ENOTFOUND, ...; Bun.connect plain ENOTFOUND.
  if (typeof errno === "string" && errno.startsWith("DNS_")) return "resolve";
  return errnoMeaning(error);
}

const toZmqError = errorMapper(bunErrorMeaning);

function isIpAddress(host: string): boolean {
  return host.includes(":") || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

/** What each Bun socket carries in `socket.data`: the events of its connection. */
interface SocketEvents {
  data(chunk: Uint8Array): void;
  drain(): void;
  end(): void;
  close(error: Error | undefined): void;
  error(error: Error): void;
}

type BunSocket = Bun.Socket<SocketEvents | undefined>;

/** The Bun callbacks, shared by all sockets: each forwards to the socket's own connection. */
function socketHandlers(
  open: (socket: BunSocket) => void,
): Bun.SocketHandler<SocketEvents | undefined> {
  return {
    open,
    data: (socket, chunk) => socket.data?.data(chunk),
    drain: (socket) => socket.data?.drain(),
    end: (socket) => socket.data?.end(),
    close: (socket, error) => socket.data?.close(error),
    // Called when one of these callbacks throws, i.e. when a handler broke its contract.
    error: (socket, error) => socket.data?.error(error),
  };
}

/**
 * One Bun socket seen through the `Connection` interface.
 *
 * Bun's `socket.write` is unbuffered: it returns how many bytes the kernel
 * took, possibly fewer than given, and calls `drain` when it may take more.
 * The adapter queues the rest and continues on `drain`, so the caller's
 * writes are never partial.
 *
 * The Buffer Bun hands to `data` is a fresh copy each time (Bun creates it
 * with `createBuffer`, a copy of its receive buffer), so it is passed on as
 * is, without another copy.
 *
 * Sockets are opened with `allowHalfOpen`: Bun would otherwise close on the
 * peer's FIN and drop what is still queued here. `close()` flushes the
 * queue, then half-closes with `shutdown()` and keeps reading until the
 * peer's FIN: Bun's `end()` closes the socket at once, and closing with
 * unread input makes the kernel send a reset instead of a FIN.
 */
class BunConnection implements Connection {
  readonly remoteAddress: string;
  /** Frames assembled from several reads are Buffers too, like the views into reads. */
  readonly allocate = (size: number): Uint8Array => Buffer.allocUnsafe(size);
  #socket: BunSocket;
  #handler: ConnectionHandler;
  /** open → closing (close() called or the peer ended) → closed (handler told). */
  #state: "open" | "closing" | "closed" = "open";
  #error: Error | undefined;
  /** Bytes Bun did not take yet, in order. */
  #queue: Uint8Array[] = [];
  #queued = 0;
  #needDrain = false;
  #writeShut = false;
  #paused = false;
  #eof = false;
  /**
   * Chunks Bun still dispatched after `pause()` ("messages already received
   * may still be dispatched"), delivered on resume.
   */
  #stash: Uint8Array[] = [];

  constructor(socket: BunSocket, remoteAddress: string, accept: AcceptConnection) {
    this.#socket = socket;
    this.remoteAddress = remoteAddress;
    this.#handler = accept(this);
    // Set last: Bun routes no callback to this connection before accept() returned.
    socket.data = {
      data: (chunk) => this.#received(chunk),
      drain: () => this.#flush(),
      end: () => this.#peerEnded(),
      close: (error) => this.#closed(error),
      error: (error) => this.#fail(error),
    };
  }

  write(chunk: Uint8Array): boolean {
    if (this.#state !== "open") return false;
    if (this.#queue.length === 0) {
      const written = this.#socket.write(chunk);
      if (written === chunk.byteLength) return true;
      // -1: the socket is closing; its close callback follows.
      if (written < 0) return false;
      chunk = chunk.subarray(written);
    }
    if (chunk.byteLength > 0) {
      this.#queue.push(chunk);
      this.#queued += chunk.byteLength;
    }
    if (this.#queued > HIGH_WATER_MARK) {
      this.#needDrain = true;
      return false;
    }
    return true;
  }

  pause(): void {
    if (this.#state !== "open" || this.#paused) return;
    this.#paused = true;
    this.#socket.pause();
  }

  resume(): void {
    if (this.#state !== "open" || !this.#paused) return;
    this.#paused = false;
    // Deferred so that data never re-enters the caller from inside resume().
    queueMicrotask(() => this.#deliverStash());
  }

  close(): void {
    if (this.#state !== "open") return;
    this.#state = "closing";
    this.#stash = [];
    // Keep reading, even if paused, to see the peer's FIN that ends the close.
    if (this.#paused) this.#socket.resume();
    this.#finishClosing();
  }

  destroy(): void {
    if (this.#state === "closed") return;
    this.#state = "closing";
    this.#queue = [];
    this.#queued = 0;
    this.#stash = [];
    // Bun calls `close` from inside this call; #closed defers the handler.
    this.#socket.close();
  }

  #received(chunk: Uint8Array): void {
    // After close() incoming bytes are read only to reach the peer's FIN.
    if (this.#state !== "open") return;
    if (this.#paused || this.#stash.length > 0) this.#stash.push(chunk);
    else this.#handler.data(chunk);
  }

  #deliverStash(): void {
    try {
      while (this.#state === "open" && !this.#paused && this.#stash.length > 0) {
        this.#handler.data(this.#stash.shift()!);
      }
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (this.#state !== "open" || this.#paused) return;
    this.#socket.resume();
    if (this.#eof) this.#peerEnded();
  }

  /** Bun's `drain`: the kernel takes bytes again. */
  #flush(): void {
    while (this.#queue.length > 0) {
      const chunk = this.#queue[0];
      const written = this.#socket.write(chunk);
      if (written < 0) return;
      this.#queued -= written;
      if (written < chunk.byteLength) {
        this.#queue[0] = chunk.subarray(written);
        return;
      }
      this.#queue.shift();
    }
    if (this.#state !== "open") {
      this.#finishClosing();
    } else if (this.#needDrain) {
      this.#needDrain = false;
      this.#handler.drain();
    }
  }

  #peerEnded(): void {
    this.#eof = true;
    if (this.#state === "open") {
      // The end of stream comes after every byte before it, stashed ones included.
      if (this.#paused || this.#stash.length > 0) return;
      // Orderly end from the peer: send what was already written, then close.
      this.#state = "closing";
    }
    this.#finishClosing();
  }

  /** Once the queue is flushed: half-close to tell the peer, and close when its FIN is in. */
  #finishClosing(): void {
    if (this.#state !== "closing" || this.#queue.length > 0) return;
    if (this.#eof) {
      // Both directions are done; Bun calls `close` from inside end().
      this.#socket.end();
    } else if (!this.#writeShut) {
      this.#writeShut = true;
      // Bun closes the socket by itself when the peer's FIN follows.
      this.#socket.shutdown();
    }
  }

  #fail(error: unknown): void {
    this.#error ??= toZmqError(error, "io", `connection with ${this.remoteAddress} failed`);
    this.destroy();
  }

  #closed(error: Error | undefined): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#queue = [];
    this.#queued = 0;
    this.#stash = [];
    if (error !== undefined) {
      this.#error ??= toZmqError(error, "io", `connection with ${this.remoteAddress} failed`);
    }
    const reason = this.#error;
    // Bun calls `close` synchronously from end()/close(); never call back
    // from inside the caller's close()/destroy().
    queueMicrotask(() => this.#handler.closed(reason));
  }
}

/** Whether someone accepts connections on the unix socket at path. */
async function probe(path: string): Promise<"live" | "refused" | "unknown"> {
  try {
    // Bun rejects a handler without `data` or `drain`.
    const socket = await Bun.connect({ unix: path, socket: { data: () => {} } });
    socket.end();
    return "live";
  } catch (error) {
    return errnoOf(error) === "ECONNREFUSED" ? "refused" : "unknown";
  }
}

const ipcFiles: IpcFiles = { ...nodeSocketFiles, probe, toZmqError };

class BunListener implements Listener {
  readonly address: string;
  #server: Bun.SocketListener<unknown>;
  #socketFile: BoundSocketFile | undefined;
  #closing: Promise<void> | undefined;

  constructor(server: Bun.SocketListener<unknown>, address: string, socketFile?: BoundSocketFile) {
    this.#server = server;
    this.address = address;
    this.#socketFile = socketFile;
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    // false: accepted connections stay open, as the Listener contract says.
    this.#server.stop(false);
    // Bun usually unlinks the file itself; this removes what it left.
    if (this.#socketFile !== undefined) await this.#socketFile.remove();
  }
}

/**
 * The address to bind for a tcp host. Bun reports back the hostname it was
 * given, not the address bound, so names are resolved here (first address,
 * in the system resolver's order, as Node and Deno bind) to know the real
 * endpoint.
 */
async function bindAddress(endpointHost: string, target: string): Promise<string> {
  const host = bindHost(endpointHost);
  if (isIpAddress(host)) return host;
  try {
    const [first] = await Bun.dns.lookup(host, { backend: "system" });
    if (first !== undefined) return first.address;
  } catch (error) {
    throw toZmqError(error, "listen", `cannot bind ${target}`);
  }
  throw new ZmqError("EADDRNOTAVAIL", `cannot bind ${target}: ${host} has no address`);
}

async function listen(endpoint: Endpoint, accept: AcceptConnection): Promise<Listener> {
  const target = formatEndpoint(endpoint);
  assertBindable(endpoint, target);
  const adopt = (remote: (socket: BunSocket) => string) => (socket: BunSocket): void => {
    try {
      new BunConnection(socket, remote(socket), accept);
    } catch {
      // accept() must not throw; if it does, nobody owns this connection.
      socket.terminate();
    }
  };
  if (endpoint.transport === "ipc") {
    await removeStaleSocket(endpoint.path, target, ipcFiles);
    let server: Bun.UnixSocketListener<SocketEvents | undefined>;
    try {
      server = Bun.listen<SocketEvents | undefined>({
        unix: endpoint.path,
        allowHalfOpen: true,
        socket: socketHandlers(adopt(() => endpoint.path)),
      });
    } catch (error) {
      throw toZmqError(error, "listen", `cannot bind ${target}`);
    }
    const socketFile = await BoundSocketFile.identify(endpoint.path, ipcFiles);
    return new BunListener(server, target, socketFile);
  }
  const hostname = await bindAddress(endpoint.host, target);
  let server: Bun.TCPSocketListener<SocketEvents | undefined>;
  try {
    server = Bun.listen<SocketEvents | undefined>({
      hostname,
      port: endpoint.port,
      allowHalfOpen: true,
      socket: socketHandlers(adopt((socket) => {
        socket.setNoDelay(true);
        return hostPort(socket.remoteAddress, socket.remotePort);
      })),
    });
  } catch (error) {
    throw toZmqError(error, "listen", `cannot bind ${target}`);
  }
  return new BunListener(
    server,
    formatEndpoint({ transport: "tcp", host: hostname, port: server.port }),
  );
}

async function connect(endpoint: Endpoint, accept: AcceptConnection): Promise<Connection> {
  const target = formatEndpoint(endpoint);
  assertConnectable(endpoint, target);
  // Bun calls `open` before its promise resolves; the connection is made there
  // so that accept() runs before any data.
  let connection: BunConnection | undefined;
  let acceptError: unknown;
  const open = (socket: BunSocket): void => {
    let remote = endpoint.transport === "ipc" ? endpoint.path : "";
    if (endpoint.transport === "tcp") {
      socket.setNoDelay(true);
      remote = hostPort(socket.remoteAddress, socket.remotePort);
    }
    try {
      connection = new BunConnection(socket, remote, accept);
    } catch (error) {
      acceptError = error;
      socket.terminate();
    }
  };
  try {
    if (endpoint.transport === "tcp") {
      await Bun.connect<SocketEvents | undefined>({
        hostname: endpoint.host,
        port: endpoint.port,
        allowHalfOpen: true,
        socket: socketHandlers(open),
      });
    } else {
      await Bun.connect<SocketEvents | undefined>({
        unix: endpoint.path,
        allowHalfOpen: true,
        socket: socketHandlers(open),
      });
    }
  } catch (error) {
    throw toZmqError(error, "connect", `cannot connect to ${target}`);
  }
  if (connection === undefined) {
    throw acceptError ?? new ZmqError("ECONNRESET", `cannot connect to ${target}: closed at once`);
  }
  return connection;
}

/**
 * The tcp and ipc transport of Bun, over `Bun.connect` and `Bun.listen`.
 * TCP_NODELAY is set on every tcp connection, as libzmq does; `*` binds
 * every IPv4 interface; a stale unix socket file is removed before binding
 * and the file is removed when the listener closes.
 *
 * @example
 * ```ts
 * import { registerTransport } from "../../core/transport_registry.ts";
 * import { bunTransport } from "./transport.ts";
 *
 * registerTransport("tcp", bunTransport);
 * registerTransport("ipc", bunTransport);
 * ```
 */
export const bunTransport: Transport = { connect, listen };
