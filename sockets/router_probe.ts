import { EMPTY } from "../core/bytes.ts";
import { booleanOption } from "./options.ts";
import type { Pipe } from "./pipe.ts";

/**
 * ZMQ_PROBE_ROUTER, for the socket types that may talk to a Router (Router,
 * Dealer, Request): one empty single-frame message sent on every new
 * connection, so that the Router learns of the peer before it sends
 * anything (it receives `[routingId, ""]`). The socket calls `attached` from
 * `xAttach` and `connected` from `xConnected`: a pipe's first probe is queued
 * at attach, ahead of anything the application queues for that peer (as
 * libzmq writes it), and each later connection of a connect()ed pipe is
 * probed as it is made.
 *
 * @example
 * ```ts
 * protected override xAttach(pipe: Pipe): void {
 *   this.#probe.attached(pipe);
 * }
 * protected override xConnected(pipe: Pipe): boolean {
 *   this.#probe.connected(pipe);
 *   return true;
 * }
 * ```
 */
export class RouterProbe {
  #enabled = false;
  /** Pipes whose attach-time probe has not yet gone out with a connection. */
  readonly #queued = new WeakSet<Pipe>();

  /** Whether to probe (ZMQ_PROBE_ROUTER). @default false */
  get enabled(): boolean {
    return this.#enabled;
  }
  set enabled(value: boolean) {
    this.#enabled = booleanOption("probeRouter", value);
  }

  /** A new pipe: its probe goes first. */
  attached(pipe: Pipe): void {
    if (!this.#enabled) return;
    pipe.send([EMPTY]);
    this.#queued.add(pipe);
  }

  /** A connection of `pipe` is ready: probe it, unless the probe queued at attach goes with it. */
  connected(pipe: Pipe): void {
    if (this.#queued.delete(pipe)) return;
    if (this.#enabled) pipe.send([EMPTY]);
  }
}
