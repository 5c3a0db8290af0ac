import type { ZmqError } from "../core/errors.ts";
import type { MechanismName } from "../zmtp/greeting.ts";
import type { Metadata } from "../zmtp/metadata.ts";
import type { ZapReply } from "../zmtp/zap.ts";
import type { SessionFailure } from "../zmtp/session.ts";
import type { Pipe, PipeEngine } from "./pipe.ts";

/**
 * One connection to a peer as the socket sees it, whatever carries it: a
 * ZMTP engine over a byte stream, or an in-process link.
 */
export interface Link extends PipeEngine {
  /** The endpoint this connection belongs to (bound or connected address). */
  readonly endpoint: string;
  /** The pipe served, once the peer is ready. */
  readonly pipe: Pipe | undefined;
  /** The peer's address, for events. */
  readonly peerAddress: string | undefined;
  /** Whether the peer is ready and the connection open. */
  readonly ready: boolean;
  /** Serves `pipe` from now on (called by the owner once it accepts the peer). */
  attachPipe(pipe: Pipe): void;
  /** Closes the connection; `drainPipe` sends what the pipe holds first, within `linger` ms. */
  close(drainPipe?: boolean, linger?: number): void;
}

/** What a link reports to the socket that owns it. */
export interface LinkOwner {
  /** The peer is ready: return the pipe to serve, or undefined to refuse the peer. */
  linkReady(link: Link, peer: Metadata): Pipe | undefined;
  /** The peer subscribed (true) or cancelled (false) a topic. */
  linkSubscription(link: Link, subscribe: boolean, topic: Uint8Array): void;
  /** The connection is gone; `failure` says why when it failed. */
  linkClosed(link: Link, error: ZmqError | undefined, failure: SessionFailure | undefined): void;
  /**
   * Checks a peer's credentials (ZAP). Resolves with the answer, or a ZmqError
   * when the check itself failed; `signal` aborts when the connection closes.
   */
  linkAuthenticate(
    link: Link & { readonly mechanism: MechanismName },
    credentials: readonly Uint8Array[],
    signal: AbortSignal,
  ): Promise<ZapReply | ZmqError>;
}

/**
 * Keeps one connect()ed endpoint linked: a TCP/ipc connecter that redials,
 * or an inproc one that links whenever the name is bound.
 */
export interface Dialer {
  /** The address as the application gave it. */
  readonly address: string;
  /** The pipe that outlives this endpoint's connections (absent with `immediate`). */
  readonly pipe: Pipe | undefined;
  /** The routing id the application gave this peer (ZMQ_CONNECT_ROUTING_ID), if any. */
  readonly routingId: Uint8Array | undefined;
  /** The current connection, if any. */
  readonly link: Link | undefined;
  /** Starts linking. */
  start(): void;
  /** Stops for good, closing the current connection. */
  stop(drainPipe: boolean, linger: number): void;
  /** The current connection closed: link again unless the failure forbids it. */
  linkClosed(link: Link, failure: SessionFailure | undefined): void;
}
