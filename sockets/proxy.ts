import { ZmqError } from "../core/errors.ts";
import type { Message } from "./message.ts";
import { Socket, type WaitOptions } from "./socket.ts";

/** A socket messages can be sent to, such as a proxy's capture socket. */
export interface SendingSocket {
  /** Sends one message (frames shared, never copied). */
  send(message: Message, options?: WaitOptions): Promise<void>;
}

/** The public calls a proxy moves messages with; a socket type may lack either. */
interface Duplex {
  receive?(options?: WaitOptions): Promise<Message>;
  send?(message: Message, options?: WaitOptions): Promise<void>;
}

/**
 * Moves messages both ways between two sockets (libzmq's `zmq_proxy`):
 * every message received on the front end is sent on the back end and the
 * other way round, whole (every frame) and in order, one at a time so that
 * a full destination slows the source down instead of losing messages.
 * With a capture socket, every message is also sent there first. A
 * direction whose source cannot receive (a Publisher) is idle; a
 * destination that cannot send ends the proxy with an error, as in libzmq.
 *
 * Unlike the `zeromq` package's Proxy, `terminate` leaves both sockets open:
 * close them yourself once `run()` has resolved.
 *
 * @example
 * ```ts
 * const frontEnd = new XSubscriber();
 * const backEnd = new XPublisher();
 * frontEnd.connect("tcp://127.0.0.1:5555"); // the publishers
 * await backEnd.bind("tcp://*:5556");       // the subscribers
 * const proxy = new Proxy(frontEnd, backEnd);
 * const done = proxy.run();
 * // ... later
 * proxy.terminate();
 * await done;
 * frontEnd.close();
 * backEnd.close();
 * ```
 */
export class Proxy<F extends Socket = Socket, B extends Socket = Socket> {
  /** The front-end socket. */
  readonly frontEnd: F;
  /** The back-end socket. */
  readonly backEnd: B;
  /** The socket every message is also sent to, if any. */
  readonly capture: SendingSocket | undefined;
  #started = false;
  #stopped = false;
  #paused = false;
  #failure: unknown;
  /** Resolves the pumps waiting for `resume` (or `terminate`). */
  #resumeWaiters: (() => void)[] = [];
  /** Receives and sends in progress, cancelled by pause (receives) and terminate (both). */
  readonly #receiving = new Set<AbortController>();
  readonly #sending = new Set<AbortController>();

  /**
   * A proxy between two sockets; nothing moves before `run()`.
   * @param frontEnd one socket, bound or connected before `run()`.
   * @param backEnd the other.
   * @param capture a socket that gets a copy of every message, both ways.
   */
  constructor(frontEnd: F, backEnd: B, capture?: SendingSocket) {
    if (!(frontEnd instanceof Socket) || !(backEnd instanceof Socket)) {
      throw new TypeError("a Proxy needs two sockets");
    }
    if ((frontEnd as Socket) === backEnd) {
      throw new TypeError("a Proxy needs two different sockets");
    }
    this.frontEnd = frontEnd;
    this.backEnd = backEnd;
    this.capture = capture;
  }

  /**
   * Moves messages until `terminate()` (or until a socket closes), then
   * resolves; rejects, after stopping, if a socket fails, e.g. a destination
   * that cannot send. A proxy runs once.
   */
  async run(): Promise<void> {
    if (this.#started) throw new ZmqError("EFSM", "the proxy has already been run");
    this.#started = true;
    const front = this.frontEnd as Duplex;
    const back = this.backEnd as Duplex;
    await Promise.all([this.#pump(front, back), this.#pump(back, front)]);
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Stops moving messages (those already received are still delivered) until `resume()`. */
  pause(): void {
    this.#paused = true;
    for (const controller of this.#receiving) controller.abort();
  }

  /** Moves messages again after `pause()`. */
  resume(): void {
    this.#paused = false;
    this.#wakePumps();
  }

  /**
   * Stops the proxy: `run()` resolves once nothing is in progress. A message
   * still waiting for room in its destination is dropped.
   */
  terminate(): void {
    this.#stopped = true;
    for (const controller of this.#receiving) controller.abort();
    for (const controller of this.#sending) controller.abort();
    this.#wakePumps();
  }

  /** One direction: receive a message, capture it, send it on; one at a time. */
  async #pump(from: Duplex, to: Duplex): Promise<void> {
    try {
      while (!this.#stopped) {
        if (this.#paused) {
          await new Promise<void>((resolve) => this.#resumeWaiters.push(resolve));
          continue;
        }
        const message = await this.#receive(from);
        if (message === undefined) continue;
        if (this.capture !== undefined) await this.#send(this.capture, [...message]);
        await this.#send(to, message);
      }
    } catch (error) {
      if (!(error instanceof ZmqError && error.code === "ENOTSOCK")) this.#failure ??= error;
      // A closed socket or a failure stops both directions.
      this.terminate();
    }
  }

  /** The next message of `from`, or undefined when paused or stopped meanwhile (nothing is taken). */
  async #receive(from: Duplex): Promise<Message | undefined> {
    if (typeof from.receive !== "function") return this.#idle();
    const controller = new AbortController();
    this.#receiving.add(controller);
    try {
      return await from.receive({ signal: controller.signal });
    } catch (error) {
      if (controller.signal.aborted) return undefined;
      // A socket that cannot receive (a Publisher) has nothing to move this way.
      if (error instanceof ZmqError && error.code === "ENOTSUP") return this.#idle();
      throw error;
    } finally {
      this.#receiving.delete(controller);
    }
  }

  /**
   * Sends `message` on `to`. The send is tried at once even after
   * `terminate()`, so a message already received is not lost when there is
   * room for it; only a send left waiting is given up.
   */
  async #send(to: Duplex | SendingSocket, message: Message): Promise<void> {
    if (typeof to.send !== "function") {
      throw new ZmqError("ENOTSUP", "a socket of the proxy cannot send");
    }
    const controller = new AbortController();
    const sending = to.send(message, { signal: controller.signal });
    if (this.#stopped) controller.abort();
    this.#sending.add(controller);
    try {
      await sending;
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    } finally {
      this.#sending.delete(controller);
    }
  }

  /** A direction with nothing to move waits for the end. */
  async #idle(): Promise<undefined> {
    while (!this.#stopped) await new Promise<void>((resolve) => this.#resumeWaiters.push(resolve));
    return undefined;
  }

  #wakePumps(): void {
    const waiters = this.#resumeWaiters;
    this.#resumeWaiters = [];
    for (const wake of waiters) wake();
  }
}
