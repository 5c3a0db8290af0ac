import { concatBytes, EMPTY } from "../core/bytes.ts";
import type { Connection } from "../core/transport.ts";
import { Metadata } from "../zmtp/metadata.ts";
import { ConnectionDriver } from "./connection_driver.ts";
import type { Message } from "./message.ts";

/** A raw peer announces nothing: no Socket-Type, no Identity. */
const NO_PROPERTIES = new Metadata();

/**
 * Drives one connection of a Stream socket (libzmq's raw engine): no
 * greeting, no framing. Each chunk read becomes a one-frame message, each
 * message sent is written as its bytes alone. The connection is ready at
 * once, and an empty message marks its start and, when the peer ends it or
 * it fails, its end (the connect and disconnect notifications of
 * ZMQ_STREAM_NOTIFY; a received chunk is never empty). Writes are coalesced
 * into one per turn of the event loop.
 *
 * @example
 * ```ts
 * const engine = new RawEngine(socket, "tcp://127.0.0.1:8080");
 * transport.connect(endpoint, (connection) => engine.bind(connection));
 * ```
 */
export class RawEngine extends ConnectionDriver {
  #output: Uint8Array[] = [];
  #queued = 0;

  /** Whether the connection is open and serves a pipe. */
  get ready(): boolean {
    return this.pipe !== undefined && !this.terminated;
  }

  // ConnectionHandler

  /** The peer ended the connection, or it failed: the disconnect notification, then the end. */
  override closed(error: Error | undefined): void {
    this.deliver([EMPTY]);
    super.closed(error);
  }

  // PipeEngine

  /** A raw peer has no subscriptions: nothing to send. */
  sendSubscription(_subscribe: boolean, _topic: Uint8Array): void {}

  // ConnectionDriver

  /** Bytes from the peer: one message per read. */
  protected received(chunk: Uint8Array): void {
    // An empty chunk would read as a notification; a transport has no reason to deliver one.
    if (chunk.length > 0) this.deliver([chunk]);
  }

  /** Bytes queued and not yet written. */
  protected get pendingOutput(): number {
    return this.#queued;
  }

  /** With nothing to negotiate, the peer is ready at once: the connect notification. */
  protected started(_connection: Connection): void {
    const pipe = this.owner.linkReady(this, NO_PROPERTIES);
    if (pipe === undefined) this.close(false, 0);
    else pipe.deliver([EMPTY]);
  }

  /** Queues a message's bytes. */
  protected encode(message: Message): void {
    for (const frame of message) {
      this.#output.push(frame);
      this.#queued += frame.length;
    }
  }

  /** Writes the queued bytes in one write. */
  protected writeOutput(connection: Connection): boolean {
    const output = this.#output;
    if (output.length === 0) return true;
    this.#output = [];
    this.#queued = 0;
    // One write for the whole turn; the batch limit bounds what is copied to join it.
    return connection.write(output.length === 1 ? output[0] : concatBytes(output));
  }

  /** Drops what was never written. */
  protected override stopped(): void {
    this.#output = [];
    this.#queued = 0;
  }
}
