import { FairQueue } from "./fair_queue.ts";
import { LoadBalancer } from "./load_balancer.ts";
import { type FrameLike, type Message, toMessage } from "./message.ts";
import type { SocketOptions } from "./options.ts";
import type { Pipe } from "./pipe.ts";
import { RouterProbe } from "./router_probe.ts";
import { Socket, type WaitOptions } from "./socket.ts";
import { applyTypeOptions } from "./type_options.ts";

/** Options of a Dealer. */
export interface DealerOptions extends SocketOptions {
  /** Send an empty message to every new peer, so a Router peer learns of us (ZMQ_PROBE_ROUTER). @default false */
  probeRouter?: boolean;
  /** Keep only the newest message in each queue (ZMQ_CONFLATE). @default false */
  conflate?: boolean;
}

const DEALER_OPTIONS = ["probeRouter"] as const;

/**
 * A DEALER socket: sends round robin over its peers (a full peer is skipped,
 * `send` waits when all are full), receives from them by fair queueing. It
 * talks to Router, Reply and other Dealer sockets.
 *
 * @example
 * ```ts
 * const dealer = new Dealer({ routingId: "worker-1" });
 * dealer.connect("tcp://127.0.0.1:5555");
 * await dealer.send(["", "hello"]);
 * const [empty, reply] = await dealer.receive();
 * ```
 */
export class Dealer extends Socket implements AsyncIterable<Message> {
  readonly #out = new LoadBalancer();
  readonly #in = new FairQueue();
  readonly #probe = new RouterProbe();

  /**
   * A new socket, neither bound nor connected.
   * @param options socket options; unknown names throw a TypeError.
   */
  constructor(options?: DealerOptions) {
    super("DEALER", options, DEALER_OPTIONS);
    applyTypeOptions(this, options, DEALER_OPTIONS);
  }

  /**
   * Send an empty message to every new peer, so that a Router peer learns of
   * us before we send anything (ZMQ_PROBE_ROUTER); for Router peers only.
   * @default false
   */
  get probeRouter(): boolean {
    return this.#probe.enabled;
  }
  set probeRouter(value: boolean) {
    this.#probe.enabled = value;
  }

  /**
   * Queues a message (one frame, or several as an array) for the next peer in
   * turn; resolves once queued, waits while every peer is at its high-water mark.
   */
  send(message: FrameLike | readonly FrameLike[], options?: WaitOptions): Promise<void> {
    return this.sendMessage(toMessage(message), options);
  }

  /** Resolves with the next message from any peer, fairly queued. */
  receive(options?: WaitOptions): Promise<Message> {
    return this.receiveMessage(options);
  }

  /** Iterates over received messages until the socket closes. */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return this.receivedMessages();
  }

  /** Routing: a new pipe joins this type's strategies. */
  protected override xAttach(pipe: Pipe): void {
    this.#probe.attached(pipe);
    this.#out.add(pipe);
  }

  /** Routing: a pipe's peer finished its handshake; false refuses it. */
  protected override xConnected(pipe: Pipe): boolean {
    this.#probe.connected(pipe);
    return true;
  }

  /** Routing: a pipe is gone for good. */
  protected override xDetach(pipe: Pipe): void {
    this.#out.remove(pipe);
  }

  /** Routing: a pipe has messages to read. */
  protected override xReadable(pipe: Pipe): void {
    this.#in.readable(pipe);
  }

  /** Routing: sends one message now, or returns false to wait for room. */
  protected override xSend(message: Message): boolean {
    return this.#out.send(message);
  }

  /** Routing: the next message for the application, if any. */
  protected override xReceive(): Message | undefined {
    return this.#in.read();
  }
}
