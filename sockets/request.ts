import { EMPTY } from "../core/bytes.ts";
import { ZmqError } from "../core/errors.ts";
import { FairQueue } from "./fair_queue.ts";
import { LoadBalancer } from "./load_balancer.ts";
import { type FrameLike, type Message, toMessage } from "./message.ts";
import { booleanOption, type SocketOptions } from "./options.ts";
import type { Pipe } from "./pipe.ts";
import { messageIterator } from "./readable.ts";
import { RouterProbe } from "./router_probe.ts";
import { RESOLVED, Socket, type WaitOptions } from "./socket.ts";
import { applyTypeOptions } from "./type_options.ts";

/** Options of a Request. */
export interface RequestOptions extends SocketOptions {
  /**
   * Allow a new request before the reply to the previous one arrived
   * (ZMQ_REQ_RELAXED); the previous request is then abandoned. Without
   * `correlate`, a late reply to it that arrives after the new request went
   * out is taken as the answer to the new one.
   * @default false
   */
  relaxed?: boolean;
  /**
   * Put a 4-byte request id in front of each request and accept only a
   * reply that carries it back (ZMQ_REQ_CORRELATE).
   * @default false
   */
  correlate?: boolean;
  /** Send an empty message to every new peer, so a Router peer learns of us (ZMQ_PROBE_ROUTER). @default false */
  probeRouter?: boolean;
}

const REQUEST_OPTIONS = ["relaxed", "correlate", "probeRouter"] as const;

/**
 * A REQ socket: strict request/reply. Each request goes to one peer, round
 * robin, behind an empty delimiter frame; only a reply from that peer, in
 * the same envelope, is accepted, and anything else is dropped. Requests and
 * replies alternate: `send` twice, or `receive` without a request
 * outstanding, rejects with EFSM. It talks to Reply and Router sockets.
 *
 * As in libzmq, once the peer asked is gone the reply may come from any
 * peer. A reply without the empty delimiter is dropped here; libzmq instead
 * treats it as a protocol error and drops the connection.
 *
 * @example
 * ```ts
 * const request = new Request();
 * request.connect("tcp://127.0.0.1:5555");
 * await request.send("ping");
 * const [reply] = await request.receive();
 * ```
 */
export class Request extends Socket implements AsyncIterable<Message> {
  readonly #probe = new RouterProbe();
  readonly #out = new LoadBalancer();
  readonly #in = new FairQueue();
  #relaxed = false;
  #correlate = false;
  /** A request went out and its reply was not read yet (libzmq `_receiving_reply`). */
  #awaitingReply = false;
  /** The pipe the outstanding request went to; undefined once that pipe is gone. */
  #replyPipe: Pipe | undefined;
  /** Calls to `send` not settled yet: a `receive` behind them is in order. */
  #sending = 0;
  readonly #sendSettled = (): void => {
    this.#sending--;
  };
  /** The id of the latest request; libzmq starts it at a random value. */
  #requestId = (Math.random() * 0x100000000) >>> 0;

  /**
   * A new socket, neither bound nor connected.
   * @param options socket options; unknown names throw a TypeError.
   */
  constructor(options?: RequestOptions) {
    super("REQ", options, REQUEST_OPTIONS);
    applyTypeOptions(this, options, REQUEST_OPTIONS);
  }

  /** Whether a new request may be sent before the reply arrived (ZMQ_REQ_RELAXED). @default false */
  get relaxed(): boolean {
    return this.#relaxed;
  }
  set relaxed(value: boolean) {
    this.#relaxed = booleanOption("relaxed", value);
  }

  /** Whether every new peer gets an empty probe message first (ZMQ_PROBE_ROUTER). @default false */
  get probeRouter(): boolean {
    return this.#probe.enabled;
  }
  set probeRouter(value: boolean) {
    this.#probe.enabled = value;
  }

  /** Whether requests carry an id that the reply must match (ZMQ_REQ_CORRELATE). @default false */
  get correlate(): boolean {
    return this.#correlate;
  }
  set correlate(value: boolean) {
    this.#correlate = booleanOption("correlate", value);
  }

  /**
   * Sends a request (one frame, or several as an array) to the next peer in
   * turn; resolves once queued, waits while every peer is at its high-water
   * mark or there is none (up to `sendTimeout`, then EAGAIN). Rejects with
   * EFSM while the previous reply is outstanding, unless `relaxed`.
   */
  send(message: FrameLike | readonly FrameLike[], options?: WaitOptions): Promise<void> {
    const sent = this.sendMessage(toMessage(message), options);
    // A request routed at once is settled already; only one still waiting (or failing) is tracked.
    if (sent !== RESOLVED) {
      this.#sending++;
      sent.then(this.#sendSettled, this.#sendSettled);
    }
    return sent;
  }

  /**
   * Resolves with the reply to the request sent last. Rejects with EFSM when
   * no request was sent since the last reply, or while another `receive` waits.
   */
  receive(options?: WaitOptions): Promise<Message> {
    return this.receiveInTurn(
      "a REQ socket is already waiting for the reply; one receive at a time",
      this.#awaitingReply || this.#sending > 0
        ? undefined
        : "a REQ socket must send a request before it can receive a reply",
      options,
    );
  }

  /** Iterates over replies until the socket closes; send a request before each step. */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return messageIterator(() => this.receive());
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
    // As in libzmq, with its peer gone the outstanding request takes a reply from any peer.
    if (pipe === this.#replyPipe) this.#replyPipe = undefined;
  }

  /** Routing: a pipe has messages to read. */
  protected override xReadable(pipe: Pipe): void {
    this.#in.readable(pipe);
  }

  /** Routing: sends one message now, or returns false to wait for room. */
  protected override xSend(message: Message): boolean {
    if (this.#awaitingReply && !this.#relaxed) {
      throw new ZmqError(
        "EFSM",
        "a REQ socket must receive the reply before it sends another request (or set relaxed)",
      );
    }
    const id = this.#correlate ? (this.#requestId + 1) >>> 0 : undefined;
    const delimited = prepend(EMPTY, message);
    const frames = id === undefined ? delimited : prepend(requestIdFrame(id), delimited);
    if (!this.#out.send(frames)) return false;
    if (id !== undefined) this.#requestId = id;
    this.#replyPipe = this.#out.lastPipe;
    this.#awaitingReply = true;
    // Whatever arrived before this request is stale: a late reply must not answer it.
    while (this.#in.read() !== undefined);
    return true;
  }

  /** Routing: the next message for the application, if any. */
  protected override xReceive(): Message | undefined {
    // A receive may wait behind a send still queued; it is answered once that request is out.
    if (!this.#awaitingReply) return undefined;
    for (;;) {
      const message = this.#in.read();
      if (message === undefined) return undefined;
      const replyPipe = this.#replyPipe;
      if (replyPipe !== undefined && this.#in.lastPipe !== replyPipe) continue;
      const body = this.#bodyOf(message);
      if (body === undefined) continue;
      this.#awaitingReply = false;
      return body;
    }
  }

  /** The reply's body if its envelope is ours (request id, then the empty delimiter), else undefined. */
  #bodyOf(message: Message): Message | undefined {
    let at = 0;
    if (this.#correlate) {
      const id = message[0];
      if (id.length !== 4 || readRequestId(id) !== this.#requestId) return undefined;
      at = 1;
    }
    // The delimiter must be followed by at least one body frame, as libzmq checks its MORE flag.
    if (message.length < at + 2 || message[at].length !== 0) return undefined;
    return message.slice(at + 1);
  }
}

/** `frame`, then the frames of `message`, in one array allocated at its size. */
function prepend(frame: Uint8Array, message: Message): Message {
  const frames: Message = new Array(message.length + 1);
  frames[0] = frame;
  for (let i = 0; i < message.length; i++) frames[i + 1] = message[i];
  return frames;
}

/** The id frame: libzmq copies the u32 in host byte order, little-endian on every platform we run. */
function requestIdFrame(id: number): Uint8Array {
  const frame = new Uint8Array(4);
  new DataView(frame.buffer).setUint32(0, id, true);
  return frame;
}

function readRequestId(frame: Uint8Array): number {
  return new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0, true);
}
