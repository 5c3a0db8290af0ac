/**
 * The Node.js byte-stream transport: tcp and ipc (unix-domain sockets) over
 * `node:net`.
 *
 * @module
 */
import * as net from "node:net";
import { type Endpoint, formatEndpoint } from "../../core/endpoint.ts";
import type {
  AcceptConnection,
  Connection,
  ConnectionHandler,
  Listener,
  Transport,
} from "../../core/transport.ts";
import { errnoMeaning, errnoOf, errorMapper } from "../errors.ts";
import { hostPort } from "../host_port.ts";
import { BoundSocketFile, type IpcFiles, removeStaleSocket } from "../ipc_path.ts";
import { nodeSocketFiles } from "../node_socket_files.ts";
import { ReadBuffers } from "../read_buffers.ts";
import { assertBindable, assertConnectable, bindHost } from "../stream_endpoint.ts";

/** Node's errors carry their errno in `code`, resolver failures included. */
const toZmqError = errorMapper(errnoMeaning);

/**
 * One `net.Socket` seen through the `Connection` interface. Sockets are
 * created with `allowHalfOpen` so that the adapter, not Node, decides what an
 * end of stream means: on the peer's FIN it flushes what was written and
 * ends too, and writes after that are dropped instead of failing with EPIPE.
 */
class NodeConnection implements Connection {
  readonly remoteAddress: string;
  /** Frames assembled from several reads are Buffers too, like the views into reads. */
  readonly allocate = (size: number): Uint8Array => Buffer.allocUnsafe(size);
  #socket: net.Socket;
  #handler: ConnectionHandler;
  /** open → closing (close() called or the peer ended) → closed (handler told). */
  #state: "open" | "closing" | "closed" = "open";
  #error: Error | undefined;
  #needDrain = false;
  #paused = false;
  /**
   * Chunks that arrived while paused. Node stops emitting `data` once paused,
   * so this stays empty in practice; it makes the "nothing while paused"
   * promise independent of stream internals.
   */
  #stash: Uint8Array[] = [];

  /**
   * @param userBuffers set when the socket reads into buffers of ours (`onread`, see
   *   `dialledReads`), which then calls `received`; else reads arrive as `data` events.
   */
  constructor(
    socket: net.Socket,
    remoteAddress: string,
    accept: AcceptConnection,
    userBuffers = false,
  ) {
    this.#socket = socket;
    this.remoteAddress = remoteAddress;
    // accept() runs before any listener exists, so no data can be delivered
    // to a handler that does not exist yet.
    this.#handler = accept(this);
    if (!userBuffers) socket.on("data", (chunk: Buffer) => this.received(chunk));
    socket.on("drain", () => this.#drained());
    socket.on("end", () => this.#peerEnded());
    socket.on("error", (error: Error) => {
      this.#error ??= toZmqError(error, "io", `connection with ${remoteAddress} failed`);
    });
    socket.on("close", () => this.#finish());
  }

  write(chunk: Uint8Array): boolean {
    if (this.#state !== "open" || this.#socket.destroyed) return false;
    const accepted = this.#socket.write(chunk);
    if (!accepted) this.#needDrain = true;
    return accepted;
  }

  writev(chunks: readonly Uint8Array[]): boolean {
    if (this.#state !== "open" || this.#socket.destroyed) return false;
    // Corked, the chunks leave in one writev on uncork(), synchronously.
    const socket = this.#socket;
    socket.cork();
    let accepted = true;
    for (let i = 0; i < chunks.length; i++) if (!socket.write(chunks[i])) accepted = false;
    socket.uncork();
    if (!accepted) this.#needDrain = true;
    return accepted;
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
    // The socket must keep reading to see the peer's FIN, or it never closes.
    if (this.#paused) this.#socket.resume();
    this.#socket.end();
  }

  destroy(): void {
    if (this.#state === "closed") return;
    this.#state = "closing";
    this.#stash = [];
    this.#socket.destroy();
  }

  /** The handler while it takes data; undefined once closing, when reads only look for the end. */
  get reader(): ConnectionHandler | undefined {
    return this.#state === "open" ? this.#handler : undefined;
  }

  /** Bytes read, for the handler (or held while paused). */
  received(chunk: Uint8Array): void {
    // After close() incoming bytes are read only to reach the peer's FIN.
    if (this.#state !== "open") return;
    if (this.#paused || this.#stash.length > 0) {
      this.#stash.push(chunk);
      return;
    }
    this.#deliver(chunk);
  }

  #deliver(chunk: Uint8Array): void {
    try {
      this.#handler.data(chunk);
    } catch (error) {
      this.#fail(error);
    }
  }

  #deliverStash(): void {
    while (this.#state === "open" && !this.#paused && this.#stash.length > 0) {
      this.#deliver(this.#stash.shift()!);
    }
    if (this.#state === "open" && !this.#paused) this.#socket.resume();
  }

  #drained(): void {
    if (this.#state !== "open" || !this.#needDrain) return;
    this.#needDrain = false;
    try {
      this.#handler.drain();
    } catch (error) {
      this.#fail(error);
    }
  }

  #peerEnded(): void {
    if (this.#state !== "open") return;
    // Orderly end from the peer: send what was already written, then end
    // too; Node closes the socket once both directions are done.
    this.#state = "closing";
    this.#stash = [];
    this.#socket.end();
  }

  #fail(error: unknown): void {
    this.#error ??= toZmqError(error, "io", `connection with ${this.remoteAddress} failed`);
    this.destroy();
  }

  #finish(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#stash = [];
    this.#handler.closed(this.#error);
  }
}

/**
 * Node's `onread` option for a socket being dialled, and where its reads go
 * once the connection exists: the socket then reads into buffers chosen by
 * `ReadBuffers`, so small reads reuse one buffer and the rest of a large frame
 * lands in the frame itself instead of fresh 64 KiB buffers copied from. Node
 * offers this only for sockets it dials, not for those a server accepts.
 */
function dialledReads(): { onread: net.OnReadOpts; attach(connection: NodeConnection): void } {
  const buffers = new ReadBuffers((size) => Buffer.allocUnsafeSlow(size));
  // Reading starts after "connect", where the connection is attached.
  let connection: NodeConnection | undefined;
  return {
    onread: {
      buffer: () => buffers.next(connection?.reader),
      callback: (count: number, buffer: Uint8Array): boolean => {
        connection!.received(buffers.filled(buffer, count));
        // Pausing is the connection's own (`pause()`), not this callback's.
        return true;
      },
    },
    attach: (dialled) => {
      connection = dialled;
    },
  };
}

/** Whether someone accepts connections on the unix socket at path. */
function probe(path: string): Promise<"live" | "refused" | "unknown"> {
  return new Promise((resolve) => {
    const socket = net.connect({ path });
    socket.once("connect", () => {
      socket.destroy();
      resolve("live");
    });
    socket.once("error", (error) => {
      socket.destroy();
      resolve(errnoOf(error) === "ECONNREFUSED" ? "refused" : "unknown");
    });
  });
}

const ipcFiles: IpcFiles = { ...nodeSocketFiles, probe, toZmqError };

class NodeListener implements Listener {
  readonly address: string;
  #server: net.Server;
  #socketFile: BoundSocketFile | undefined;
  #closing: Promise<void> | undefined;

  constructor(server: net.Server, address: string, socketFile?: BoundSocketFile) {
    this.#server = server;
    this.address = address;
    this.#socketFile = socketFile;
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    // server.close() stops listening at once; its callback would wait for
    // every accepted connection to end, which the Listener contract excludes.
    this.#server.close();
    // libuv usually unlinks the file itself; this removes what it left.
    if (this.#socketFile !== undefined) await this.#socketFile.remove();
  }
}

function listenOn(server: net.Server, options: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

async function listen(endpoint: Endpoint, accept: AcceptConnection): Promise<Listener> {
  const target = formatEndpoint(endpoint);
  assertBindable(endpoint, target);
  const server = net.createServer({ allowHalfOpen: true, noDelay: true });
  server.on("connection", (socket: net.Socket) => {
    const remote = endpoint.transport === "tcp"
      ? hostPort(socket.remoteAddress, socket.remotePort)
      : endpoint.path;
    try {
      new NodeConnection(socket, remote, accept);
    } catch {
      // accept() must not throw; if it does, nobody owns this connection.
      socket.destroy();
    }
  });
  if (endpoint.transport === "ipc") {
    await removeStaleSocket(endpoint.path, target, ipcFiles);
    try {
      await listenOn(server, { path: endpoint.path });
    } catch (error) {
      throw toZmqError(error, "listen", `cannot bind ${target}`);
    }
    // Accept failures (EMFILE, ...) must not crash the process; Node keeps listening.
    server.on("error", () => {});
    const socketFile = await BoundSocketFile.identify(endpoint.path, ipcFiles);
    return new NodeListener(server, target, socketFile);
  }
  try {
    // Node's default of 511 overflows when thousands of peers connect at once while JavaScript
    // runs handshakes, and each overflowed SYN waits 1 s, 3 s, 7 s... to be retried by the
    // peer's kernel. Linux caps this at net.core.somaxconn.
    await listenOn(server, { host: bindHost(endpoint.host), port: endpoint.port, backlog: 4096 });
  } catch (error) {
    throw toZmqError(error, "listen", `cannot bind ${target}`);
  }
  server.on("error", () => {});
  const bound = server.address() as net.AddressInfo;
  return new NodeListener(
    server,
    formatEndpoint({ transport: "tcp", host: bound.address, port: bound.port }),
  );
}

function connect(endpoint: Endpoint, accept: AcceptConnection): Promise<Connection> {
  const target = formatEndpoint(endpoint);
  try {
    assertConnectable(endpoint, target);
  } catch (error) {
    // A rejection, not a throw: callers of a Promise-returning connect expect one.
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    const reads = dialledReads();
    const socket = endpoint.transport === "tcp"
      ? net.connect({
        host: endpoint.host,
        port: endpoint.port,
        noDelay: true,
        allowHalfOpen: true,
        onread: reads.onread,
      })
      : net.connect({ path: endpoint.path, allowHalfOpen: true, onread: reads.onread });
    const failed = (error: Error): void => {
      socket.destroy();
      reject(toZmqError(error, "connect", `cannot connect to ${target}`));
    };
    socket.once("error", failed);
    socket.once("connect", () => {
      socket.off("error", failed);
      const remote = endpoint.transport === "tcp"
        ? hostPort(socket.remoteAddress, socket.remotePort)
        : endpoint.path;
      try {
        const connection = new NodeConnection(socket, remote, accept, true);
        reads.attach(connection);
        resolve(connection);
      } catch (error) {
        socket.destroy();
        reject(error);
      }
    });
  });
}

/**
 * The tcp and ipc transport of Node.js, over `node:net`. TCP_NODELAY is set
 * on every tcp connection, as libzmq does; `*` binds every IPv4 interface; a
 * stale unix socket file is removed before binding and the file is removed
 * when the listener closes.
 *
 * @example
 * ```ts
 * import { registerTransport } from "../../core/transport_registry.ts";
 * import { nodeTransport } from "./transport.ts";
 *
 * registerTransport("tcp", nodeTransport);
 * registerTransport("ipc", nodeTransport);
 * ```
 */
export const nodeTransport: Transport = { connect, listen };
