/**
 * The Deno byte-stream transport: tcp and ipc (unix-domain sockets) over
 * `Deno.connect` and `Deno.listen`.
 *
 * @module
 */
import { type Endpoint, formatEndpoint } from "../../core/endpoint.ts";
import type { ZmqErrorCode } from "../../core/errors.ts";
import type {
  AcceptConnection,
  Connection,
  ConnectionHandler,
  Listener,
  Transport,
} from "../../core/transport.ts";
import { errnoCode, errnoOf, errorMapper, type ErrorMeaning } from "../errors.ts";
import { hostPort } from "../host_port.ts";
import { BoundSocketFile, type IpcFiles, removeStaleSocket } from "../ipc_path.ts";
import { ReadBuffers } from "../read_buffers.ts";
import { deliveryBudget } from "./delivery_budget.ts";
import { assertBindable, assertConnectable, bindHost } from "../stream_endpoint.ts";

/** `write` returns false once this many bytes are queued and not yet taken by the kernel. */
const HIGH_WATER_MARK = 64 * 1024;
/** Chunks queued behind an in-flight write are joined into writes of at most this size. */
const BATCH_LIMIT = 256 * 1024;
/** Pause before accepting again after an unexpected accept error (EMFILE, ...), not to spin. */
const ACCEPT_RETRY_MS = 100;

/** Deno's error classes, for errors that carry no errno (permissions, closed resources). */
const ERROR_NAMES: Readonly<Record<string, ZmqErrorCode>> = {
  AddrInUse: "EADDRINUSE",
  AddrNotAvailable: "EADDRNOTAVAIL",
  ConnectionRefused: "ECONNREFUSED",
  ConnectionReset: "ECONNRESET",
  ConnectionAborted: "ECONNRESET",
  BrokenPipe: "ECONNRESET",
  NotConnected: "ECONNRESET",
  TimedOut: "ETIMEDOUT",
  NotFound: "ENOENT",
  PermissionDenied: "EACCES",
  NotCapable: "EACCES",
};

/**
 * What a Deno error means: its errno where it has one we know, else its
 * class name, else its message. ENOTCONN (`NotConnected`) comes from I/O on a
 * socket that is already gone, which is a reset to the caller.
 */
function denoErrorMeaning(error: unknown): ErrorMeaning {
  const errno = errnoOf(error);
  if (typeof errno === "string") {
    const code = errno === "ENOTCONN" ? "ECONNRESET" : errnoCode(errno);
    if (code !== undefined) return code;
  }
  const name = (error as { name?: unknown } | null)?.name;
  if (typeof name === "string" && name in ERROR_NAMES) return ERROR_NAMES[name];
  // Resolver failures come as a plain Error with no code in Deno 2.
  const detail = error instanceof Error ? error.message : String(error);
  if (/lookup address/i.test(detail)) return "resolve";
  return undefined;
}

const toZmqError = errorMapper(denoErrorMeaning);

function addrHostPort(address: Deno.Addr): string {
  if (address.transport !== "tcp" && address.transport !== "udp") return "unknown";
  return hostPort(address.hostname, address.port);
}

/** The join buffer grows in powers of two: batches of varying size reallocate it rarely. */
function nextPowerOfTwo(size: number): number {
  return 2 ** Math.ceil(Math.log2(size));
}

/** Errors of a read or write racing `conn.close()`: expected, not failures. */
function isClosedResource(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted;
}

/**
 * One `Deno.Conn` seen through the `Connection` interface. Deno gives
 * promises, not events: a read loop runs while the connection is not paused,
 * and a write loop drains a queue so that writes stay in order with one
 * `conn.write` in flight, looping over Deno's partial writes.
 */
class DenoConnection implements Connection {
  readonly remoteAddress: string;
  #conn: Deno.Conn;
  #handler: ConnectionHandler;
  /** open → closing (close() called or the peer ended) → closed (handler told). */
  #state: "open" | "closing" | "closed" = "open";
  #error: Error | undefined;

  #queue: Uint8Array[] = [];
  /** Bytes written by the caller and not yet taken by the kernel, in-flight write included. */
  #queued = 0;
  /** Memory that queued chunks are joined in; it grows to the largest batch made. */
  #joined = new Uint8Array(0);
  #writing = false;
  #needDrain = false;
  #writeShut = false;

  #paused = false;
  #reading = false;
  #eof = false;
  /** Chunks read while paused (a read was already in flight), delivered on resume. */
  #stash: Uint8Array[] = [];
  #readBuffers = new ReadBuffers((size) => new Uint8Array(size));

  constructor(conn: Deno.Conn, remoteAddress: string, accept: AcceptConnection) {
    this.#conn = conn;
    this.remoteAddress = remoteAddress;
    this.#handler = accept(this);
    this.#startReading();
  }

  write(chunk: Uint8Array): boolean {
    if (this.#state !== "open") return false;
    if (chunk.byteLength > 0) {
      this.#queue.push(chunk);
      this.#queued += chunk.byteLength;
      if (!this.#writing) this.#startWriting();
    }
    if (this.#queued > HIGH_WATER_MARK) {
      this.#needDrain = true;
      return false;
    }
    return true;
  }

  pause(): void {
    if (this.#state === "open") this.#paused = true;
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
    this.#startReading();
    this.#finishClosing();
  }

  destroy(): void {
    this.#finish();
  }

  #startReading(): void {
    if (this.#reading) return;
    this.#reading = true;
    this.#readLoop().catch((error) => this.#fail(error));
  }

  #wantsRead(): boolean {
    if (this.#eof) return false;
    if (this.#state === "open") return !this.#paused;
    return this.#state === "closing";
  }

  async #readLoop(): Promise<void> {
    while (this.#wantsRead()) {
      const buffer = this.#readBuffers.next(this.#state === "open" ? this.#handler : undefined);
      const count = await this.#read(buffer);
      if (count === undefined) return;
      if (count === null) {
        this.#eof = true;
        break;
      }
      while (!deliveryBudget.take(count)) {
        await deliveryBudget.nextTurn();
        if (this.#state === "closed") return;
      }
      this.#received(this.#readBuffers.filled(buffer, count));
    }
    this.#reading = false;
    if (this.#eof) this.#peerEnded();
  }

  /** One read: the count, null at the end of the stream, undefined if it failed (reading stops). */
  async #read(buffer: Uint8Array): Promise<number | null | undefined> {
    try {
      return await this.#conn.read(buffer);
    } catch (error) {
      this.#reading = false;
      if (this.#state !== "closed") this.#fail(error);
      return undefined;
    }
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
    if (this.#eof) this.#peerEnded();
    else this.#startReading();
  }

  #peerEnded(): void {
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
    if (this.#state !== "closing" || this.#writing || this.#queue.length > 0) return;
    if (this.#eof) {
      this.#finish();
      return;
    }
    if (this.#writeShut) return;
    this.#writeShut = true;
    // A failed half-close (peer already gone) shows up on the read side as
    // well, which then ends the connection.
    this.#conn.closeWrite().catch(() => {});
  }

  #startWriting(): void {
    this.#writing = true;
    this.#writeLoop().catch((error) => this.#fail(error));
  }

  async #writeLoop(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#takeBatch();
      let offset = 0;
      while (offset < batch.byteLength) {
        let written: number;
        try {
          written = await this.#conn.write(offset === 0 ? batch : batch.subarray(offset));
        } catch (error) {
          this.#writing = false;
          if (this.#state !== "closed") this.#fail(error);
          return;
        }
        if (this.#state === "closed") {
          this.#writing = false;
          return;
        }
        offset += written;
        this.#queued -= written;
      }
    }
    this.#writing = false;
    if (this.#state !== "open") {
      this.#finishClosing();
    } else if (this.#needDrain) {
      this.#needDrain = false;
      this.#handler.drain();
    }
  }

  /** The next write: the first queued chunk, joined with those behind it up to `BATCH_LIMIT`. */
  #takeBatch(): Uint8Array {
    const queue = this.#queue;
    let count = 1;
    let size = queue[0].byteLength;
    while (count < queue.length && size + queue[count].byteLength <= BATCH_LIMIT) {
      size += queue[count].byteLength;
      count++;
    }
    const parts = queue.splice(0, count);
    if (count === 1) return parts[0];
    // The previous batch is written by now: its memory serves again, with no allocation or zeroing.
    if (this.#joined.length < size) this.#joined = new Uint8Array(nextPowerOfTwo(size));
    const batch = this.#joined.subarray(0, size);
    let offset = 0;
    for (const part of parts) {
      batch.set(part, offset);
      offset += part.byteLength;
    }
    return batch;
  }

  #fail(error: unknown): void {
    if (this.#state === "closed") return;
    if (!isClosedResource(error)) {
      this.#error ??= toZmqError(error, "io", `connection with ${this.remoteAddress} failed`);
    }
    this.#finish();
  }

  #finish(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#queue = [];
    this.#queued = 0;
    this.#stash = [];
    try {
      // Pending reads and writes reject with BadResource/Interrupted, which
      // the loops expect once the state is closed.
      this.#conn.close();
    } catch {
      // Already closed by the runtime.
    }
    const error = this.#error;
    // Never call back from inside the caller's close()/destroy().
    queueMicrotask(() => this.#handler.closed(error));
  }
}

/** Deno's own file API, so that this adapter imports no `node:` module. */
const ipcFiles: IpcFiles = {
  async lstat(path) {
    const info = await Deno.lstat(path);
    return { isSocket: info.isSocket === true, dev: info.dev, ino: info.ino };
  },
  remove: (path) => Deno.remove(path),
  isNotFound: (error) => error instanceof Deno.errors.NotFound,
  async probe(path) {
    try {
      const probe = await Deno.connect({ transport: "unix", path });
      probe.close();
      return "live";
    } catch (error) {
      return error instanceof Deno.errors.ConnectionRefused ? "refused" : "unknown";
    }
  },
  toZmqError,
};

class DenoListener implements Listener {
  readonly address: string;
  #listener: Deno.Listener;
  #endpoint: Endpoint;
  #accept: AcceptConnection;
  #socketFile: BoundSocketFile | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #loop: Promise<void>;
  #retry: { timer: ReturnType<typeof setTimeout>; resolve: () => void } | undefined;

  constructor(
    listener: Deno.Listener,
    address: string,
    endpoint: Endpoint,
    accept: AcceptConnection,
    socketFile?: BoundSocketFile,
  ) {
    this.#listener = listener;
    this.address = address;
    this.#endpoint = endpoint;
    this.#accept = accept;
    this.#socketFile = socketFile;
    this.#loop = this.#acceptLoop().catch(() => {});
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    if (this.#retry !== undefined) {
      clearTimeout(this.#retry.timer);
      this.#retry.resolve();
    }
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
    // The pending accept() holds the socket open until it settles (rejecting
    // with BadResource): until then the kernel still completes handshakes
    // into the backlog, and a connect sees a reset instead of a refusal.
    await this.#loop;
    // Deno usually unlinks the file itself; this removes what it left.
    if (this.#socketFile !== undefined) await this.#socketFile.remove();
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#closed || error instanceof Deno.errors.BadResource) return;
        // A peer that reset before being accepted costs nothing; anything else
        // (EMFILE, ...) would fail again at once, so wait a little first.
        if (!(error instanceof Deno.errors.ConnectionAborted)) await this.#backOff();
        continue;
      }
      if (this.#closed) {
        conn.close();
        return;
      }
      let remote: string;
      if (this.#endpoint.transport === "tcp") {
        (conn as Deno.TcpConn).setNoDelay(true);
        remote = addrHostPort(conn.remoteAddr);
      } else {
        // Accepted unix sockets have no peer path; the bound path names them.
        remote = this.#endpoint.transport === "ipc" ? this.#endpoint.path : "unknown";
      }
      try {
        new DenoConnection(conn, remote, this.#accept);
      } catch {
        // accept() must not throw; if it does, nobody owns this connection.
        conn.close();
      }
    }
  }

  #backOff(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#retry = undefined;
        resolve();
      }, ACCEPT_RETRY_MS);
      this.#retry = { timer, resolve };
    });
  }
}

async function listen(endpoint: Endpoint, accept: AcceptConnection): Promise<Listener> {
  const target = formatEndpoint(endpoint);
  assertBindable(endpoint, target);
  if (endpoint.transport === "ipc") {
    await removeStaleSocket(endpoint.path, target, ipcFiles);
    let listener: Deno.Listener;
    try {
      listener = Deno.listen({ transport: "unix", path: endpoint.path });
    } catch (error) {
      throw toZmqError(error, "listen", `cannot bind ${target}`);
    }
    const socketFile = await BoundSocketFile.identify(endpoint.path, ipcFiles);
    return new DenoListener(listener, target, endpoint, accept, socketFile);
  }
  const hostname = bindHost(endpoint.host);
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ transport: "tcp", hostname, port: endpoint.port });
  } catch (error) {
    throw toZmqError(error, "listen", `cannot bind ${target}`);
  }
  const bound = listener.addr;
  const address = formatEndpoint({ transport: "tcp", host: bound.hostname, port: bound.port });
  return new DenoListener(listener, address, endpoint, accept);
}

async function connect(endpoint: Endpoint, accept: AcceptConnection): Promise<Connection> {
  const target = formatEndpoint(endpoint);
  assertConnectable(endpoint, target);
  let conn: Deno.Conn;
  let remote: string;
  try {
    if (endpoint.transport === "tcp") {
      const tcp = await Deno.connect({
        transport: "tcp",
        hostname: endpoint.host,
        port: endpoint.port,
      });
      tcp.setNoDelay(true);
      conn = tcp;
      remote = addrHostPort(tcp.remoteAddr);
    } else {
      conn = await Deno.connect({ transport: "unix", path: endpoint.path });
      remote = endpoint.path;
    }
  } catch (error) {
    throw toZmqError(error, "connect", `cannot connect to ${target}`);
  }
  try {
    return new DenoConnection(conn, remote, accept);
  } catch (error) {
    conn.close();
    throw error;
  }
}

/**
 * The tcp and ipc transport of Deno, over `Deno.connect` and `Deno.listen`.
 * TCP_NODELAY is set on every tcp connection, as libzmq does; `*` binds
 * every IPv4 interface; a stale unix socket file is removed before binding
 * and the file is removed when the listener closes. Needs `--allow-net`, and
 * `--allow-read --allow-write` for ipc.
 *
 * @example
 * ```ts
 * import { registerTransport } from "../../core/transport_registry.ts";
 * import { denoTransport } from "./transport.ts";
 *
 * registerTransport("tcp", denoTransport);
 * registerTransport("ipc", denoTransport);
 * ```
 */
export const denoTransport: Transport = { connect, listen };
