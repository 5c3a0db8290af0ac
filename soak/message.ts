/**
 * The soak's message layout and the bookkeeping a receiving end keeps per
 * sender: every message carries its sender's id, a sequence number and its
 * send time, so that the receiver can count what was duplicated, what came
 * out of order and which ranges of sequence numbers never arrived (and when
 * the messages around each such gap were received, to match it with a fault),
 * and how late the latest message came.
 *
 * Layout (at least {@link HEADER_LENGTH} bytes): 4 bytes topic (ASCII), a
 * uint32 sender id, a float64 sequence number, a float64 send time in
 * milliseconds since the epoch, then padding up to the message's size.
 *
 * @module
 */

/** Bytes before the padding. */
export const HEADER_LENGTH = 24;
/** The topic every counted message starts with (the subscribers' prefix). */
export const TOPIC: Uint8Array = new TextEncoder().encode("soak");
/** A topic no subscriber subscribes to: receiving one is a filtering error. */
export const OTHER_TOPIC: Uint8Array = new TextEncoder().encode("othr");
/** At most this many gaps are kept per sender (`gapsDropped` counts the rest). */
const MAX_GAPS = 100_000;

/** One decoded message header. */
export interface Header {
  /** The first four bytes. */
  readonly topic: string;
  /** Which sender (or sender incarnation) sent it. */
  readonly sender: number;
  /** Its sequence number, from 0 for each sender. */
  readonly seq: number;
  /** When it was sent (ms since the epoch). */
  readonly sentAt: number;
}

/**
 * Builds a message of `size` bytes (at least the header).
 *
 * @example
 * ```ts
 * const bytes = encodeMessage(TOPIC, 7, 0, Date.now(), 64);
 * decodeMessage(bytes).seq; // 0
 * ```
 */
export function encodeMessage(
  topic: Uint8Array,
  sender: number,
  seq: number,
  sentAt: number,
  size: number,
): Uint8Array {
  const bytes = new Uint8Array(Math.max(HEADER_LENGTH, size));
  bytes.set(topic, 0);
  const view = new DataView(bytes.buffer);
  view.setUint32(4, sender);
  view.setFloat64(8, seq);
  view.setFloat64(16, sentAt);
  return bytes;
}

/**
 * Reads a message's header; throws a RangeError when it is too short.
 *
 * @example
 * ```ts
 * const { sender, seq } = decodeMessage(encodeMessage(TOPIC, 1, 5, Date.now(), 24));
 * ```
 */
export function decodeMessage(bytes: Uint8Array): Header {
  if (bytes.length < HEADER_LENGTH) {
    throw new RangeError(`soak message of ${bytes.length} bytes, expected ${HEADER_LENGTH}+`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return {
    topic: String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]),
    sender: view.getUint32(4),
    seq: view.getFloat64(8),
    sentAt: view.getFloat64(16),
  };
}

/** A range of sequence numbers that never arrived, with the send times around it. */
export interface Gap {
  /** First missing sequence number. */
  readonly from: number;
  /** Last missing sequence number. */
  readonly to: number;
  /** When the message just before the gap was received (ms since the epoch). */
  readonly before: number;
  /** When the message just after the gap was received. */
  readonly after: number;
}

/** What one receiving end knows about one sender. */
export interface SenderTally {
  /** Messages received, duplicates included. */
  received: number;
  /** Distinct sequence numbers received. */
  unique: number;
  /** Messages whose sequence number had arrived before. */
  duplicates: number;
  /** Messages that arrived after a higher sequence number (filling a gap). */
  outOfOrder: number;
  /** Longest time between a message's sending and its receiving (ms). */
  maxLatency: number;
  /** Highest sequence number received (-1: none). */
  maxSeq: number;
  /** When the message with `maxSeq` was received. */
  maxReceivedAt: number;
  /** Sequence numbers missing below `maxSeq` (a late arrival makes it one less). */
  missing: number;
  /** Gaps not kept in the tally's gap list (past the first 100 000). */
  gapsDropped: number;
}

/**
 * Tallies the messages of every sender one end receives.
 *
 * @example
 * ```ts
 * const tally = new Tally();
 * tally.add(decodeMessage(bytes));
 * tally.senders.get(1)?.unique;
 * tally.gaps.get(1); // the ranges that never arrived
 * ```
 */
export class Tally {
  /** Per sender id. */
  readonly senders: Map<number, SenderTally> = new Map();
  /**
   * The gaps below each sender's `maxSeq`, in the order they opened; only ever appended to (a
   * late arrival inside a gap leaves it as it is: it is counted out of order, which fails a
   * run anyway), so that a reader can take the new ones since it last looked.
   */
  readonly gaps: Map<number, Gap[]> = new Map();
  /** Bit set of the sequence numbers seen, per sender. */
  readonly #seen = new Map<number, Uint8Array>();

  /** Records one message, received at `receivedAt`. */
  add(header: Header, receivedAt: number = Date.now()): void {
    let tally = this.senders.get(header.sender);
    if (tally === undefined) {
      tally = {
        received: 0,
        unique: 0,
        duplicates: 0,
        outOfOrder: 0,
        maxSeq: -1,
        maxReceivedAt: 0,
        maxLatency: 0,
        missing: 0,
        gapsDropped: 0,
      };
      this.senders.set(header.sender, tally);
      this.gaps.set(header.sender, []);
    }
    tally.received++;
    tally.maxLatency = Math.max(tally.maxLatency, receivedAt - header.sentAt);
    const seq = header.seq;
    if (this.#markSeen(header.sender, seq)) {
      tally.duplicates++;
      return;
    }
    tally.unique++;
    if (seq > tally.maxSeq) {
      if (seq > tally.maxSeq + 1) {
        tally.missing += seq - tally.maxSeq - 1;
        const gap = {
          from: tally.maxSeq + 1,
          to: seq - 1,
          before: tally.maxReceivedAt,
          after: receivedAt,
        };
        const gaps = this.gaps.get(header.sender)!;
        if (gaps.length < MAX_GAPS) gaps.push(gap);
        else tally.gapsDropped++;
      }
      tally.maxSeq = seq;
      tally.maxReceivedAt = receivedAt;
      return;
    }
    // A late arrival: out of order, and no longer missing.
    tally.outOfOrder++;
    tally.missing--;
  }

  /** Sets the bit of `seq`; returns whether it was already set. */
  #markSeen(sender: number, seq: number): boolean {
    let bits = this.#seen.get(sender);
    const byte = Math.floor(seq / 8);
    if (bits === undefined || byte >= bits.length) {
      const grown = new Uint8Array(Math.max(1024, (byte + 1) * 2));
      if (bits !== undefined) grown.set(bits);
      bits = grown;
      this.#seen.set(sender, bits);
    }
    const mask = 1 << (seq % 8);
    const was = (bits[byte] & mask) !== 0;
    bits[byte] |= mask;
    return was;
  }
}
