import { Deque } from "../core/deque.ts";
import type { Metadata } from "../zmtp/metadata.ts";
import type { Message } from "./message.ts";

/** What a pipe needs from the connection that serves it. */
export interface PipeEngine {
  /** Whether the engine can encode a message right now without buffering beyond its batch. */
  readonly accepting: boolean;
  /** Encodes `message` for the peer (only when `accepting`); a lone message may go out at once. */
  write(message: Message): void;
  /**
   * Encodes a message that waited in the pipe (only when `accepting`). A backlog leaves in one
   * batch at the end of the turn, not as a lone write followed by the rest: small writes into a
   * backed-up connection fragment the peer's receive queue.
   */
  writeQueued(message: Message): void;
  /** The pipe has queued messages: take them when there is room. */
  pull(): void;
  /** Stop or restart reading from the peer (inbound high-water mark). */
  setReading(reading: boolean): void;
  /** Sends a subscription change to the peer. */
  sendSubscription(subscribe: boolean, topic: Uint8Array): void;
}

/** What a pipe tells the socket that owns it. */
export interface PipeOwner {
  /** The pipe's inbound queue went from empty to non-empty. */
  pipeReadable(pipe: Pipe): void;
  /** The pipe's outbound queue went from full to having room. */
  pipeWritable(pipe: Pipe): void;
}

/**
 * The queue pair between a socket and one peer, as in libzmq: whole messages
 * counted against the high-water marks, an outbound queue the connection
 * drains as it can, and an inbound queue the socket reads. A pipe for a
 * connect()ed endpoint outlives its connections, so messages queue while the
 * peer is away.
 *
 * @example
 * ```ts
 * const pipe = new Pipe(socket, 1000, 1000);
 * if (pipe.hasRoom) pipe.send([payload]);
 * ```
 */
export class Pipe {
  /** Messages waiting for the connection. */
  readonly outbound: Deque<Message> = new Deque();
  /** Messages waiting for the socket. */
  readonly inbound: Deque<Message> = new Deque();
  readonly #owner: PipeOwner;
  readonly #sendHighWaterMark: number;
  readonly #receiveHighWaterMark: number;
  readonly #conflate: boolean;
  #engine: PipeEngine | undefined;
  #readingPaused = false;
  /** Set when the outbound queue reached its mark; cleared (and reported) at the low-water mark. */
  #full = false;
  /** The routing id the peer is known by (Router), if any. */
  routingId: Uint8Array | undefined;
  /** The routing id the application gave this peer on connect (ZMQ_CONNECT_ROUTING_ID), if any. */
  connectRoutingId: Uint8Array | undefined;
  /** The peer's handshake properties, once connected. */
  peerMetadata: Metadata | undefined;
  /** Set once the pipe is torn down; the socket drops it from every strategy. */
  terminated = false;

  /**
   * @param owner the socket, told about readable and writable transitions.
   * @param sendHighWaterMark most messages queued outbound, 0 for no limit.
   * @param receiveHighWaterMark most messages queued inbound before reading pauses, 0 for no limit.
   * @param conflate keep only the newest message each way (ZMQ_CONFLATE); the marks no longer apply.
   */
  constructor(
    owner: PipeOwner,
    sendHighWaterMark: number,
    receiveHighWaterMark: number,
    conflate = false,
  ) {
    this.#owner = owner;
    this.#conflate = conflate;
    this.#sendHighWaterMark = conflate ? 0 : sendHighWaterMark;
    this.#receiveHighWaterMark = conflate ? 0 : receiveHighWaterMark;
  }

  /** The connection currently serving this pipe, if any. */
  get engine(): PipeEngine | undefined {
    return this.#engine;
  }

  /**
   * Whether one more message fits under the send high-water mark. Once the
   * queue was full, not before it is back at the low-water mark: as in
   * libzmq, where the writer hears of room only then, so a sender that gave
   * up waiting cannot slip in ahead of the wake-up.
   */
  get hasRoom(): boolean {
    return this.#sendHighWaterMark === 0 ||
      (!this.#full && this.outbound.length < this.#sendHighWaterMark);
  }

  /** Queues (or writes straight through) one message for the peer. Check `hasRoom` first. */
  send(message: Message): void {
    const engine = this.#engine;
    if (engine !== undefined && this.outbound.length === 0 && engine.accepting) {
      engine.write(message);
      return;
    }
    // Conflating, a newer message replaces the one still waiting.
    if (this.#conflate) this.outbound.clear();
    this.outbound.push(message);
    if (!this.hasRoom) this.#full = true;
    engine?.pull();
  }

  /**
   * Moves queued messages into `engine` while it accepts them. Room is
   * reported only after they have moved, so a sender woken by it cannot
   * overtake them.
   */
  flushTo(engine: PipeEngine): void {
    const outbound = this.outbound;
    while (outbound.length > 0 && engine.accepting) engine.writeQueued(outbound.shift()!);
    this.#reportRoom();
  }

  /** Takes every queued message at once, for a connection closing with linger. */
  takeAll(): Message[] {
    const messages = [...this.outbound];
    this.outbound.clear();
    this.#reportRoom();
    return messages;
  }

  #reportRoom(): void {
    const queued = this.outbound.length;
    const mark = this.#sendHighWaterMark;
    if (this.#full && queued < mark && queued <= lowWaterMark(mark)) {
      this.#full = false;
      this.#owner.pipeWritable(this);
    }
  }

  /** Delivers a message from the peer. */
  deliver(message: Message): void {
    if (this.#conflate && this.inbound.length > 0) {
      this.inbound.clear();
      this.inbound.push(message);
      return;
    }
    this.inbound.push(message);
    if (this.inbound.length === 1) this.#owner.pipeReadable(this);
    if (
      this.#receiveHighWaterMark !== 0 && !this.#readingPaused &&
      this.inbound.length >= this.#receiveHighWaterMark
    ) {
      this.#readingPaused = true;
      this.#engine?.setReading(false);
    }
  }

  /** Takes the next inbound message for the socket. */
  read(): Message | undefined {
    const message = this.inbound.shift();
    if (this.#readingPaused && this.inbound.length <= lowWaterMark(this.#receiveHighWaterMark)) {
      this.#readingPaused = false;
      this.#engine?.setReading(true);
    }
    return message;
  }

  /** Connects the pipe to a ready connection, or disconnects it (undefined). */
  attach(engine: PipeEngine | undefined): void {
    this.#engine = engine;
    if (engine === undefined) return;
    if (this.#readingPaused) engine.setReading(false);
    if (this.outbound.length > 0) engine.pull();
  }
}

/** The level at which a full queue counts as having room again, as libzmq's pipe computes it. */
function lowWaterMark(highWaterMark: number): number {
  return Math.floor((highWaterMark + 1) / 2);
}
