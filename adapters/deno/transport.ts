/**
 * The Deno byte-stream transport: tcp and ipc (unix-domain sockets) over
 * `Deno.connect` and `Deno.listen`.
 *
 * @module
 */
import { type Endpoint, formatEndpoint } from "../../core/endpoint.ts";
import { ZmqError, type ZmqErrorCode } from "../../core/errors.ts";
import type {
  AcceptConnection,
  Connection,
  ConnectionHandler,
  Listener,
  Transport,
} from "../../core/transport.ts";

/** Bytes asked of each read: large enough for bulk transfers, one syscall per 64 KiB. */
const READ_SIZE = 64 * 1024;
/**
 * Reads up to this size are copied out into an exact-size chunk and the read
 * buffer is reused: the handler may keep views of its chunks (zero-copy
 * frames), and a 20-byte message must not pin a 64 KiB buffer.
 */
const COPY_LIMIT = 16 * 1024;
/** `write` returns false once this many bytes are queued and not yet taken by the kernel. */
const HIGH_WATER_MARK = 64 * 1024;
/** Chunks queued behind an in-flight write are joined into writes of at most this size. */
const BATCH_LIMIT = 256 * 1024;
/** Pause before accepting again after an unexpected accept error (EMFILE, ...), not to spin. */
const ACCEPT_RETRY_MS = 100;

type Action = "connect" | "listen" | "io";

/** Errno names a runtime reports, folded onto the codes monocoque documents. */
const ERROR_CODES: Readonly<Record<string, ZmqErrorCode>> = {
  EADDRINUSE: "EADDRINUSE",
  EADDRNOTAVAIL: "EADDRNOTAVAIL",
  ECONNREFUSED: "ECONNREFUSED",
  ECONNRESET: "ECONNRESET",
  ECONNABORTED: "ECONNRESET",
  EPIPE: "ECONNRESET",
  ENOTCONN: "ECONNRESET",
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

/** Used when the runtime's error carries no errno we know. */
const FALLBACK_CODES: Readonly<Record<Action, ZmqErrorCode>> = {
  connect: "ECONNREFUSED",
  listen: "EADDRINUSE",
  io: "ECONNRESET",
};

function toZmqError(error: unknown, action: Action, message: string): ZmqError {
  if (error instanceof ZmqError) return error;
  const errno = (error as { code?: unknown } | null)?.code;
  const name = (error as { name?: unknown } | null)?.name;
  const detail = error instanceof Error ? error.message : String(error);
  let code: ZmqErrorCode = FALLBACK_CODES[action];
  if (typeof errno === "string" && errno in ERROR_CODES) {
    code = ERROR_CODES[errno];
  } else if (typeof name === "string" && name in ERROR_NAMES) {
    code = ERROR_NAMES[name];
  } else if (/lookup address/i.test(detail)) {
    // Resolver failures come as a plain Error with no code in Deno 2.
    code = action === "listen" ? "EADDRNOTAVAIL" : "EHOSTUNREACH";
  }
  return new ZmqError(code, `${message}: ${detail}`, { cause: error });
}

function hostPort(address: Deno.Addr): string {
  if (address.transport !== "tcp" && address.transport !== "udp") return "unknown";
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return `${host}:${address.port}`;
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
  #writing = false;
  #needDrain = false;
  #writeShut = false;

  #paused = false;
  #reading = false;
  #eof = false;
  /** Chunks read while paused (a read was already in flight), delivered on resume. */
  #stash: Uint8Array[] = [];
  /** A read buffer whose bytes were copied out, reused by the next read. */
  #spare: Uint8Array | undefined;

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
      const buffer = this.#spare ?? new Uint8Array(READ_SIZE);
      this.#spare = undefined;
      let count: number | null;
      try {
        count = await this.#conn.read(buffer);
      } catch (error) {
        this.#reading = false;
        if (this.#state !== "closed") this.#fail(error);
        return;
      }
      if (count === null) {
        this.#eof = true;
        break;
      }
      let chunk: Uint8Array;
      if (count <= COPY_LIMIT) {
        chunk = buffer.slice(0, count);
        this.#spare = buffer;
      } else {
        // The handler owns this buffer from now on; the next read gets a fresh one.
        chunk = buffer.subarray(0, count);
      }
      this.#received(chunk);
    }
    this.#reading = false;
    if (this.#eof) this.#peerEnded();
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

  /** The next write: the first queued chunk, joined with the small ones queued behind it. */
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
    const batch = new Uint8Array(size);
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
    this.#spare = undefined;
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

async function socketIdentity(path: string): Promise<string | undefined> {
  try {
    const info = await Deno.lstat(path);
    return `${info.dev}:${info.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * Removes a unix socket file left behind by a process that is gone, as
 * libzmq does before binding. Unlike libzmq, a file that is not a socket or a
 * socket someone still listens on is left alone: binding then fails with
 * EADDRINUSE instead of silently stealing the path.
 */
async function removeStaleSocket(path: string, target: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw toZmqError(error, "listen", `cannot bind ${target}`);
  }
  if (info.isSocket !== true) {
    throw new ZmqError("EADDRINUSE", `cannot bind ${target}: ${path} exists and is not a socket`);
  }
  try {
    const probe = await Deno.connect({ transport: "unix", path });
    probe.close();
  } catch (error) {
    // Only a refused connection proves the file is stale; anything else is
    // left for the bind itself to report.
    if (!(error instanceof Deno.errors.ConnectionRefused)) return;
    try {
      await Deno.remove(path);
    } catch (removeError) {
      if (!(removeError instanceof Deno.errors.NotFound)) {
        throw toZmqError(removeError, "listen", `cannot bind ${target}`);
      }
    }
    return;
  }
  throw new ZmqError("EADDRINUSE", `cannot bind ${target}: another process is listening on it`);
}

class DenoListener implements Listener {
  readonly address: string;
  #listener: Deno.Listener;
  #endpoint: Endpoint;
  #accept: AcceptConnection;
  #ipcIdentity: string | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #loop: Promise<void>;
  #retry: { timer: ReturnType<typeof setTimeout>; resolve: () => void } | undefined;

  constructor(
    listener: Deno.Listener,
    address: string,
    endpoint: Endpoint,
    accept: AcceptConnection,
    ipcIdentity?: string,
  ) {
    this.#listener = listener;
    this.address = address;
    this.#endpoint = endpoint;
    this.#accept = accept;
    this.#ipcIdentity = ipcIdentity;
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
    if (this.#endpoint.transport !== "ipc") return;
    const path = this.#endpoint.path;
    // Deno usually unlinks the file itself; check identity first so that a
    // socket another process bound at the same path since is never removed.
    if (this.#ipcIdentity !== undefined && await socketIdentity(path) === this.#ipcIdentity) {
      await Deno.remove(path).catch(() => {});
    }
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
        remote = hostPort(conn.remoteAddr);
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
  if (endpoint.transport === "inproc") {
    throw new ZmqError("ENOTSUP", `cannot bind ${target}: inproc is not a byte-stream transport`);
  }
  if (endpoint.transport === "ipc") {
    await removeStaleSocket(endpoint.path, target);
    let listener: Deno.Listener;
    try {
      listener = Deno.listen({ transport: "unix", path: endpoint.path });
    } catch (error) {
      throw toZmqError(error, "listen", `cannot bind ${target}`);
    }
    const identity = await socketIdentity(endpoint.path);
    return new DenoListener(listener, target, endpoint, accept, identity);
  }
  // "*" is every IPv4 interface, as in libzmq without ZMQ_IPV6.
  const hostname = endpoint.host === "*" ? "0.0.0.0" : endpoint.host;
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
  if (endpoint.transport === "inproc") {
    throw new ZmqError(
      "ENOTSUP",
      `cannot connect to ${target}: inproc is not a byte-stream transport`,
    );
  }
  if (endpoint.transport === "tcp" && endpoint.host === "*") {
    throw new ZmqError("EINVAL", `cannot connect to ${target}: "*" is only valid for bind`);
  }
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
      remote = hostPort(tcp.remoteAddr);
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
