import { Deque } from "../core/deque.ts";
import type { ZmqError } from "../core/errors.ts";

/** The monitor event types, named as in the npm `zeromq` package (libzmq's ZMQ_EVENT_*). */
export type SocketEventType =
  | "bind"
  | "bind:error"
  | "accept"
  | "accept:error"
  | "connect"
  | "connect:delay"
  | "connect:retry"
  | "close"
  | "close:error"
  | "disconnect"
  | "handshake"
  | "handshake:error:protocol"
  | "handshake:error:auth"
  | "handshake:error:other"
  | "end";

/** One monitor event. */
export interface SocketEvent {
  /** What happened. */
  readonly type: SocketEventType;
  /** The endpoint concerned (for accepted peers, the listening endpoint), if any. */
  readonly address?: string;
  /** The peer's address (`ip:port` or ipc path) for connection-level events. */
  readonly peer?: string;
  /**
   * Why, for the error events, for disconnects caused by an error, and for the `close` that
   * ends a failed connect attempt (ECONNREFUSED, ENOENT, ...).
   */
  readonly error?: ZmqError;
  /** For `connect:retry`: milliseconds until the next attempt. */
  readonly interval?: number;
  /**
   * For `handshake`: the peer's properties (Socket-Type, Identity, and with authentication the
   * `User-Id` and properties the ZAP handler gave), names as sent.
   */
  readonly properties?: ReadonlyMap<string, Uint8Array>;
}

/** A listener for one event type. */
export type SocketEventListener = (event: SocketEvent) => void;

/** Events buffered for async iteration before the oldest are dropped. */
const ITERATOR_BUFFER = 1000;

/**
 * A socket's monitor events, as libzmq's monitor reports them: with `on` and
 * `off` callbacks, or as an async iterator that ends with the `end` event.
 *
 * @example
 * ```ts
 * socket.events.on("handshake", (event) => console.log("peer ready", event.peer));
 * for await (const event of socket.events) console.log(event.type, event.error?.message);
 * ```
 */
export class SocketEvents implements AsyncIterable<SocketEvent> {
  readonly #listeners = new Map<SocketEventType, Set<SocketEventListener>>();
  readonly #iterators = new Set<EventIterator>();
  #ended = false;

  /** Calls `listener` for every event of `type`. */
  on(type: SocketEventType, listener: SocketEventListener): this {
    let set = this.#listeners.get(type);
    if (set === undefined) this.#listeners.set(type, set = new Set());
    set.add(listener);
    return this;
  }

  /** Stops calling `listener` for `type`. */
  off(type: SocketEventType, listener: SocketEventListener): this {
    this.#listeners.get(type)?.delete(listener);
    return this;
  }

  /**
   * Resolves with the next event of `type`; for `end`, at once if the socket already ended.
   *
   * @example
   * ```ts
   * const { peer } = await socket.events.next("handshake");
   * ```
   */
  next(type: SocketEventType): Promise<SocketEvent> {
    // Waiting for the end of a socket that already ended is over at once.
    if (this.#ended && type === "end") return Promise.resolve({ type: "end" });
    return new Promise((resolve) => {
      const listener = (event: SocketEvent): void => {
        this.off(type, listener);
        resolve(event);
      };
      this.on(type, listener);
    });
  }

  /** Iterates over events from now on, until the socket closes. */
  [Symbol.asyncIterator](): AsyncIterator<SocketEvent> {
    const iterator = new EventIterator(() => this.#iterators.delete(iterator));
    if (this.#ended) iterator.end();
    else this.#iterators.add(iterator);
    return iterator;
  }

  /** Reports an event to every listener and iterator. Used by the socket. */
  emit(event: SocketEvent): void {
    if (this.#ended) return;
    const set = this.#listeners.get(event.type);
    if (set !== undefined) { for (const listener of [...set]) listener(event); }
    for (const iterator of this.#iterators) iterator.push(event);
    if (event.type === "end") {
      this.#ended = true;
      for (const iterator of this.#iterators) iterator.end();
      this.#iterators.clear();
      this.#listeners.clear();
    }
  }
}

class EventIterator implements AsyncIterator<SocketEvent> {
  readonly #buffer = new Deque<SocketEvent>();
  readonly #waiting = new Deque<(result: IteratorResult<SocketEvent>) => void>();
  readonly #detach: () => void;
  #done = false;

  constructor(detach: () => void) {
    this.#detach = detach;
  }

  push(event: SocketEvent): void {
    const waiter = this.#waiting.shift();
    if (waiter !== undefined) return waiter({ value: event, done: false });
    if (this.#buffer.length >= ITERATOR_BUFFER) this.#buffer.shift();
    this.#buffer.push(event);
  }

  end(): void {
    this.#done = true;
    for (let waiter = this.#waiting.shift(); waiter; waiter = this.#waiting.shift()) {
      waiter({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<SocketEvent>> {
    const event = this.#buffer.shift();
    if (event !== undefined) return Promise.resolve({ value: event, done: false });
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  return(): Promise<IteratorResult<SocketEvent>> {
    this.#detach();
    this.#buffer.clear();
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }
}
