import { ZmqError } from "../core/errors.ts";
import { Metadata } from "../zmtp/metadata.ts";
import type { SessionFailure } from "../zmtp/session.ts";
import { type SocketTypeName, socketTypesCompatible } from "../zmtp/socket_type.ts";
import type { Dialer, Link, LinkOwner } from "./link.ts";
import type { Message } from "./message.ts";
import type { Pipe } from "./pipe.ts";

/** What a socket lends to its end of an in-process link. */
export interface InprocSide {
  /** Receives the link's events. */
  readonly owner: LinkOwner;
  /** The socket type, checked against the peer's as a handshake would. */
  readonly socketType: SocketTypeName;
  /** The properties a READY would carry (Socket-Type, Identity). */
  readonly metadata: Metadata;
}

/** Makes the binder's end of a new link. */
export type InprocAccept = () => InprocEnd;

const bound = new Map<string, InprocAccept>();
const waiting = new Map<string, Set<InprocDialer>>();

/**
 * Binds `name` in this process; dialers already waiting for it link at once.
 *
 * @example
 * ```ts
 * bindInproc("workers", () => new InprocEnd(side, "inproc://workers"));
 * ```
 */
export function bindInproc(name: string, accept: InprocAccept): void {
  if (bound.has(name)) throw new ZmqError("EADDRINUSE", `inproc://${name} is already bound`);
  bound.set(name, accept);
  const dialers = waiting.get(name);
  if (dialers === undefined) return;
  waiting.delete(name);
  for (const dialer of dialers) dialer.start();
}

/**
 * Whether something is bound at `name` within this program.
 *
 * @example
 * ```ts
 * isInprocBound("zeromq.zap.01"); // true once a ZAP handler is bound
 * ```
 */
export function isInprocBound(name: string): boolean {
  return bound.has(name);
}

/**
 * Releases `name`; links made through it stay.
 *
 * @example
 * ```ts
 * unbindInproc("workers", accept);
 * ```
 */
export function unbindInproc(name: string, accept: InprocAccept): void {
  if (bound.get(name) === accept) bound.delete(name);
}

/**
 * One end of an in-process link: frames go from one socket's pipe into the
 * other's as the very same objects, never copied or encoded. The ends apply
 * each other's high-water marks: a receiver at its mark stops its peer.
 *
 * @example
 * ```ts
 * const ours = new InprocEnd(side, "inproc://workers");
 * InprocEnd.link(ours, accept());
 * ```
 */
export class InprocEnd implements Link {
  /** The endpoint this link belongs to. */
  readonly endpoint: string;
  readonly #side: InprocSide;
  #peer: InprocEnd | undefined;
  #pipe: Pipe | undefined;
  #peerPaused = false;
  #open = true;
  /** Subscriptions sent while linking, before the peer had its pipe: handed over once it has. */
  #early: [subscribe: boolean, topic: Uint8Array][] | undefined;

  /**
   * @param side the owning socket's hooks and identity.
   * @param endpoint the inproc address.
   */
  constructor(side: InprocSide, endpoint: string) {
    this.#side = side;
    this.endpoint = endpoint;
  }

  /** The pipe served, once linked. */
  get pipe(): Pipe | undefined {
    return this.#pipe;
  }

  /** In-process peers are known by the endpoint they linked through. */
  get peerAddress(): string | undefined {
    // Known once linked, and still after closing, for the disconnect event.
    return this.#peer === undefined ? undefined : this.endpoint;
  }

  /** Whether linked and open. */
  get ready(): boolean {
    return this.#open && this.#pipe !== undefined;
  }

  /** Whether a message can go to the peer now. */
  get accepting(): boolean {
    const peer = this.#peer;
    return this.#open && peer !== undefined && peer.#pipe !== undefined && !this.#peerPaused;
  }

  /** Serves `pipe`. */
  attachPipe(pipe: Pipe): void {
    this.#pipe = pipe;
    pipe.attach(this);
  }

  /** Delivers a message to the peer's pipe. */
  write(message: Message): void {
    // A fan-out hands one array to every pipe; each receiver gets an array of its own (of the
    // very same frames), so that changing it cannot change what another receiver reads.
    this.#peer!.#pipe!.deliver(message.slice());
  }

  /** Delivers a message that waited in the pipe, as `write` does: inproc has no writes to batch. */
  writeQueued(message: Message): void {
    this.write(message);
  }

  /** Moves queued messages to the peer while it has room. */
  pull(): void {
    this.#pipe?.flushTo(this);
  }

  /** Our inbound queue filled (or drained): the peer stops (or resumes) sending. */
  setReading(reading: boolean): void {
    const peer = this.#peer;
    if (peer === undefined) return;
    peer.#peerPaused = !reading;
    if (reading) peer.pull();
  }

  /** Hands a subscription change to the peer socket. */
  sendSubscription(subscribe: boolean, topic: Uint8Array): void {
    const peer = this.#peer;
    if (peer === undefined || !peer.#open) return;
    // A subscriber that links first replays its subscriptions before the publisher's end is
    // ready, as they would wait on the wire for a real connection's handshake.
    if (peer.#pipe === undefined) (this.#early ??= []).push([subscribe, topic]);
    else peer.#side.owner.linkSubscription(peer, subscribe, topic);
  }

  /** Closes both ends, after moving what our pipe holds when `drainPipe`. */
  close(drainPipe = false): void {
    if (!this.#open) return;
    const peer = this.#peer;
    const peerPipe = peer === undefined ? undefined : peer.#pipe;
    if (drainPipe && this.#pipe !== undefined && peerPipe !== undefined) {
      // Linger: what is queued is delivered, whatever the peer's mark (it is only memory).
      for (const message of this.#pipe.takeAll()) this.write(message);
    }
    this.#end(undefined, undefined);
    if (peer !== undefined) peer.#end(undefined, undefined);
  }

  /** Links two ends: a handshake in miniature, with the socket-type check. */
  static link(dialer: InprocEnd, binder: InprocEnd): void {
    dialer.#peer = binder;
    binder.#peer = dialer;
    const ours = dialer.#side.socketType;
    const theirs = binder.#side.socketType;
    if (!socketTypesCompatible(ours, theirs)) {
      const error = new ZmqError("EPROTO", `peer socket type "${theirs}" cannot talk to ${ours}`);
      dialer.#end(error, "protocol");
      binder.#end(
        new ZmqError("EPROTO", `peer socket type "${ours}" cannot talk to ${theirs}`),
        "protocol",
      );
      return;
    }
    for (const [end, other] of [[dialer, binder], [binder, dialer]]) {
      if (!end.#open) return;
      if (end.#side.owner.linkReady(end, other.#side.metadata) === undefined) {
        // Refused (a second peer of a Pair, say): like a failed handshake, not retried.
        const error = new ZmqError("EPROTO", `the ${end.#side.socketType} socket refused the peer`);
        dialer.#end(error, "protocol");
        binder.#end(error, "protocol");
        return;
      }
    }
    for (const end of [dialer, binder]) {
      const early = end.#early;
      end.#early = undefined;
      for (const [subscribe, topic] of early ?? []) end.sendSubscription(subscribe, topic);
    }
    // Messages queued before the link came up go now.
    dialer.pull();
    binder.pull();
  }

  #end(error: ZmqError | undefined, failure: SessionFailure | undefined): void {
    if (!this.#open) return;
    this.#open = false;
    this.#pipe?.attach(undefined);
    this.#side.owner.linkClosed(this, error, failure);
  }
}

/**
 * A connect()ed inproc endpoint: links as soon as the name is bound (now or
 * later), and again if it is bound anew after its binder went away.
 *
 * @example
 * ```ts
 * const dialer = new InprocDialer(side, "workers", "inproc://workers", pipe, undefined);
 * dialer.start();
 * ```
 */
export class InprocDialer implements Dialer {
  /** The address as given. */
  readonly address: string;
  /** The pipe that outlives links (absent with `immediate`). */
  readonly pipe: Pipe | undefined;
  /** The routing id the application gave this peer, if any. */
  readonly routingId: Uint8Array | undefined;
  readonly #side: InprocSide;
  readonly #name: string;
  #link: InprocEnd | undefined;
  #stopped = false;

  /**
   * @param side the owning socket's hooks and identity.
   * @param name the inproc name.
   * @param address the address as given.
   * @param pipe the persistent pipe, if any.
   * @param routingId the routing id given to this peer, if any.
   */
  constructor(
    side: InprocSide,
    name: string,
    address: string,
    pipe: Pipe | undefined,
    routingId: Uint8Array | undefined,
  ) {
    this.#side = side;
    this.#name = name;
    this.address = address;
    this.pipe = pipe;
    this.routingId = routingId;
  }

  /** The current link, if any. */
  get link(): Link | undefined {
    return this.#link;
  }

  /** Links now if the name is bound, else when it is. */
  start(): void {
    if (this.#stopped || this.#link !== undefined) return;
    const accept = bound.get(this.#name);
    if (accept === undefined) {
      let set = waiting.get(this.#name);
      if (set === undefined) waiting.set(this.#name, set = new Set());
      set.add(this);
      return;
    }
    this.#link = new InprocEnd(this.#side, this.address);
    InprocEnd.link(this.#link, accept());
  }

  /** Stops linking and closes the current link. */
  stop(drainPipe: boolean): void {
    this.#stopped = true;
    waiting.get(this.#name)?.delete(this);
    this.#link?.close(drainPipe);
  }

  /** The link closed: wait for the name to be bound again, unless refused. */
  linkClosed(link: Link, failure: SessionFailure | undefined): void {
    if (link !== this.#link) return;
    this.#link = undefined;
    if (failure === "protocol") this.#stopped = true;
    if (!this.#stopped) this.start();
  }
}
