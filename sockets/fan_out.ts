import type { Message } from "./message.ts";
import type { Pipe } from "./pipe.ts";
import { PipeTrie } from "./pipe_trie.ts";
import { splitSubscriptions } from "./subscription_frames.ts";

/**
 * Which subscription changes an XPublisher reports (ZMQ_XPUB_VERBOSE /
 * ZMQ_XPUB_VERBOSER), named as in the npm `zeromq` package: `null` reports a
 * topic's first subscriber and its last unsubscribe, `"allSubs"` every
 * subscribe, `"allSubsUnsubs"` every subscribe and every unsubscribe.
 */
export type Verbosity = null | "allSubs" | "allSubsUnsubs";

/** What a fan-out tells the socket that reports to its application (an XPublisher). */
export interface FanOutListener {
  /**
   * A subscription change to report: from `pipe`, or from no pipe when it is
   * the cancel of a topic whose subscriber left.
   */
  subscription(subscribe: boolean, topic: Uint8Array, pipe: Pipe | undefined): void;
  /** A message from a peer that is not a subscription (sent by an XSUB application). */
  upstream(message: Message): void;
}

/**
 * The sending side of publish-subscribe (libzmq xpub.cpp with dist.cpp),
 * shared by Publisher and XPublisher: each message goes to every connected
 * pipe with a subscription that is a prefix of its first frame; a pipe at
 * its high-water mark misses that message while the others still get it
 * (or, with `noDrop`, the send waits for room). Subscriptions arrive in
 * either wire form (a 3.1 SUBSCRIBE/CANCEL command, or a message whose first
 * byte is 1 or 0) on any connection, are kept as a set per topic (one cancel
 * undoes any number of subscribes from a peer) and are dropped when the peer
 * leaves. The listener hears of the changes and of the other messages peers
 * send (an XPublisher reports them; a Publisher ignores them).
 *
 * @example
 * ```ts
 * const fanOut = new FanOut({ subscription: report, upstream: () => {} });
 * fanOut.attach(pipe);
 * fanOut.read(pipe);            // applies the subscriptions the peer sent
 * fanOut.send([topic, body]);   // to every matching pipe with room
 * ```
 */
export class FanOut {
  /** Send to the pipes whose subscriptions do not match instead (ZMQ_INVERT_MATCHING). */
  invertMatching = false;
  /** Wait for room when a matching pipe is full instead of dropping for it (ZMQ_XPUB_NODROP). */
  noDrop = false;
  /** Which changes are reported (ZMQ_XPUB_VERBOSE / ZMQ_XPUB_VERBOSER). */
  verbosity: Verbosity = null;
  /** Report subscriptions without applying them: `applyManually` does (ZMQ_XPUB_MANUAL). */
  manual = false;
  readonly #listener: FanOutListener;
  readonly #pipes = new Set<Pipe>();
  /** The subscriptions messages are routed by. */
  readonly #subscriptions = new PipeTrie();
  /** In manual mode, what each peer asked for: reported as cancelled when the peer leaves. */
  readonly #requested = new PipeTrie();
  /** Scratch list of the subscriber sets matching the message being sent. */
  readonly #matchedSets: ReadonlySet<Pipe>[] = [];

  /** @param listener told of subscription changes and upstream messages. */
  constructor(listener: FanOutListener) {
    this.#listener = listener;
  }

  /** Starts routing to `pipe` (it has no subscription yet). */
  attach(pipe: Pipe): void {
    this.#pipes.add(pipe);
  }

  /** Forgets `pipe` for good, reporting the topics it leaves without subscriber. */
  detach(pipe: Pipe): void {
    this.forget(pipe);
    this.#pipes.delete(pipe);
  }

  /**
   * Drops `pipe`'s subscriptions (its peer disconnected: it sends them all
   * again if it comes back), reporting each topic left without subscriber,
   * or, as libzmq does, each topic of the pipe with `"allSubsUnsubs"` or in
   * manual mode.
   */
  forget(pipe: Pipe): void {
    if (this.manual) {
      this.#requested.removePipe(
        pipe,
        (topic) => this.#listener.subscription(false, topic, undefined),
      );
      this.#subscriptions.removePipe(pipe, () => {});
      return;
    }
    const every = this.verbosity === "allSubsUnsubs";
    this.#subscriptions.removePipe(pipe, (topic, last) => {
      if (last || every) this.#listener.subscription(false, topic, undefined);
    });
  }

  /**
   * Takes every message waiting in `pipe`: each frame that starts with 1 or
   * 0 is a subscribe or cancel (libzmq checks every frame of a message, not
   * only the first), the other frames are an upstream message. A zero-frame
   * message does nothing.
   */
  read(pipe: Pipe): void {
    const known = this.#pipes.has(pipe);
    for (let message = pipe.read(); message !== undefined; message = pipe.read()) {
      // A pipe already detached has no subscriptions to change, and no one to report for.
      if (!known) continue;
      const upstream = splitSubscriptions(
        message,
        (subscribe, topic) => this.#subscription(pipe, subscribe, topic),
      );
      if (upstream !== undefined) this.#listener.upstream(upstream);
    }
  }

  /** A SUBSCRIBE (true) or CANCEL (false) command from `pipe`'s peer. */
  subscription(pipe: Pipe, subscribe: boolean, topic: Uint8Array): void {
    if (this.#pipes.has(pipe)) this.#subscription(pipe, subscribe, topic);
  }

  /**
   * Applies a subscription change to `pipe` in manual mode (the application's
   * ZMQ_SUBSCRIBE / ZMQ_UNSUBSCRIBE on an XPUB); nothing if the pipe is gone.
   */
  applyManually(pipe: Pipe, subscribe: boolean, topic: Uint8Array): void {
    if (!this.#pipes.has(pipe)) return;
    if (subscribe) this.#subscriptions.add(topic, pipe);
    else this.#subscriptions.remove(topic, pipe);
  }

  /** Whether `pipe` is routed to (attached and not detached). */
  has(pipe: Pipe): boolean {
    return this.#pipes.has(pipe);
  }

  /**
   * Sends `message` to every matching connected pipe with room; true when
   * done, false (with `noDrop`) when a matching pipe is full: nothing was
   * sent, wait for room and try again.
   */
  send(message: Message): boolean {
    const sets = this.#matchedSets;
    const count = this.#subscriptions.collect(message[0], sets);
    if (this.invertMatching) return this.#sendUnmatched(message, sets, count);
    if (this.noDrop) {
      for (let i = 0; i < count; i++) {
        for (const pipe of sets[i]) if (pipe.engine !== undefined && !pipe.hasRoom) return false;
      }
    }
    for (let i = 0; i < count; i++) {
      for (const pipe of sets[i]) {
        if (pipe.engine !== undefined && pipe.hasRoom && !inAny(sets, i, pipe)) pipe.send(message);
      }
    }
    return true;
  }

  /** Sends to the connected pipes in none of the first `count` of `sets` (ZMQ_INVERT_MATCHING). */
  #sendUnmatched(message: Message, sets: readonly ReadonlySet<Pipe>[], count: number): boolean {
    const target = (pipe: Pipe): boolean => pipe.engine !== undefined && !inAny(sets, count, pipe);
    if (this.noDrop) {
      for (const pipe of this.#pipes) if (target(pipe) && !pipe.hasRoom) return false;
    }
    for (const pipe of this.#pipes) if (target(pipe) && pipe.hasRoom) pipe.send(message);
    return true;
  }

  #subscription(pipe: Pipe, subscribe: boolean, topic: Uint8Array): void {
    if (this.manual) {
      if (subscribe) this.#requested.add(topic, pipe);
      else this.#requested.remove(topic, pipe);
      this.#listener.subscription(subscribe, topic, pipe);
      return;
    }
    let report: boolean;
    if (subscribe) {
      report = this.#subscriptions.add(topic, pipe) || this.verbosity !== null;
    } else {
      // libzmq also reports the cancel of a topic the peer never had; we report only real
      // changes (the last subscriber gone), unless every unsubscribe is asked for.
      report = this.#subscriptions.remove(topic, pipe) === "last" ||
        this.verbosity === "allSubsUnsubs";
    }
    if (report) this.#listener.subscription(subscribe, topic, pipe);
  }
}

/**
 * Whether `pipe` is in one of the first `count` of `sets`. A pipe subscribed to several
 * prefixes of a message is in several sets: it gets the message from the first only. There
 * are as many sets as matching topics, a handful at most, so this beats building a set of
 * targets for every message.
 */
function inAny(sets: readonly ReadonlySet<Pipe>[], count: number, pipe: Pipe): boolean {
  for (let i = 0; i < count; i++) if (sets[i].has(pipe)) return true;
  return false;
}
