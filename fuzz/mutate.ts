/**
 * Mutations of ZMTP byte streams: generic ones (bit flips, byte inserts and
 * deletes, splices) and ones that know the frame layout, so that edits land
 * on size fields and flag bytes instead of mostly breaking the greeting.
 *
 * @module
 */

import { concatBytes } from "../core/bytes.ts";
import type { Prng } from "./prng.ts";

/** Where one frame header sits in a stream. */
interface HeaderAt {
  readonly at: number;
  readonly long: boolean;
  readonly size: number;
}

/** Interesting frame sizes: the edges of the short and long forms and of the limits used. */
const SIZES = [0, 1, 2, 254, 255, 256, 999, 1000, 1001, 65535, 0x100000, 0x100001, 0x7fffffff];

/**
 * Finds the frame headers of a stream: after a 64-byte greeting when the
 * stream starts with one, and for as long as the sizes stay inside the bytes.
 */
function frameHeaders(input: Uint8Array): HeaderAt[] {
  const headers: HeaderAt[] = [];
  let at = input.length >= 64 && input[0] === 0xff ? 64 : 0;
  while (at + 2 <= input.length && headers.length < 4096) {
    const long = (input[at] & 0x02) !== 0;
    if (long && at + 9 > input.length) break;
    let size: number;
    if (long) {
      const view = new DataView(input.buffer, input.byteOffset + at + 1, 8);
      if (view.getUint32(0) !== 0) break;
      size = view.getUint32(4);
    } else {
      size = input[at + 1];
    }
    headers.push({ at, long, size });
    at += (long ? 9 : 2) + size;
  }
  return headers;
}

const concat = (...parts: Uint8Array[]): Uint8Array => concatBytes(parts);

/** The bytes of a header of `size` with `flags`, in the form libzmq would choose, or long if asked. */
function header(flags: number, size: number | bigint, forceLong: boolean): Uint8Array {
  if (!forceLong && typeof size === "number" && size <= 255) {
    return new Uint8Array([flags & ~0x02, size]);
  }
  const out = new Uint8Array(9);
  out[0] = flags | 0x02;
  new DataView(out.buffer).setBigUint64(1, BigInt(size));
  return out;
}

/** Rewrites one frame header: its size (up to 2^63), its form, or its flag bits. */
function editHeader(input: Uint8Array, rng: Prng): Uint8Array {
  const headers = frameHeaders(input);
  if (headers.length === 0) return input;
  const target = rng.pick(headers);
  const flags = input[target.at];
  const headerLength = target.long ? 9 : 2;
  const before = input.subarray(0, target.at);
  const after = input.subarray(target.at + headerLength);
  switch (rng.below(7)) {
    case 0: {
      // A size the bytes do not back, from the list or near the real one.
      const size = rng.chance(0.5) ? rng.pick(SIZES) : Math.max(0, target.size + rng.below(5) - 2);
      return concat(before, header(flags, size, target.long), after);
    }
    case 1: {
      // Huge sizes: 2^32 and above, up to 2^63 and the whole u64 range.
      const shift = 32n + BigInt(rng.below(32));
      const size = rng.chance(0.2) ? 0xffffffffffffffffn : (1n << shift) + BigInt(rng.below(3));
      return concat(before, header(flags, size, true), after);
    }
    case 2:
      // The same size in the other form (a long header for a short frame is legal).
      return concat(before, header(flags, target.size, !target.long), after);
    case 3: {
      // Reserved flag bits set.
      const out = input.slice();
      out[target.at] = flags | (0x08 << rng.below(5));
      return out;
    }
    case 4: {
      // MORE or COMMAND toggled.
      const out = input.slice();
      out[target.at] = flags ^ rng.pick([0x01, 0x04, 0x05]);
      return out;
    }
    case 5: {
      // The frame duplicated (READY twice, a replayed MESSAGE).
      const end = Math.min(input.length, target.at + headerLength + target.size);
      const frame = input.subarray(target.at, end);
      return concat(input.subarray(0, end), frame, input.subarray(end));
    }
    default: {
      // The frame dropped.
      const end = Math.min(input.length, target.at + headerLength + target.size);
      return concat(before, input.subarray(end));
    }
  }
}

/** One mutation of `input`; `other` is another corpus entry to splice from. */
function mutateOnce(input: Uint8Array, other: Uint8Array, rng: Prng): Uint8Array {
  const n = input.length;
  switch (rng.below(9)) {
    case 0: {
      if (n === 0) return rng.bytes(1 + rng.below(8));
      const out = input.slice();
      const at = rng.below(n);
      out[at] ^= 1 << rng.below(8);
      return out;
    }
    case 1: {
      if (n === 0) return input;
      const out = input.slice();
      out[rng.below(n)] = rng.pick([0x00, 0x01, 0x02, 0x04, 0x7f, 0x80, 0xfe, 0xff]);
      return out;
    }
    case 2: {
      const at = rng.below(n + 1);
      return concat(input.subarray(0, at), rng.bytes(1 + rng.below(16)), input.subarray(at));
    }
    case 3: {
      if (n === 0) return input;
      const at = rng.below(n);
      const length = 1 + rng.below(Math.min(32, n - at));
      return concat(input.subarray(0, at), input.subarray(at + length));
    }
    case 4: {
      // Splice: a prefix of this input, then a suffix of another.
      return concat(
        input.subarray(0, rng.below(n + 1)),
        other.subarray(rng.below(other.length + 1)),
      );
    }
    case 5:
      // Truncated: a stream cut short anywhere.
      return input.subarray(0, rng.below(n + 1));
    case 6: {
      // A range of this input repeated in place.
      if (n === 0) return input;
      const at = rng.below(n);
      const length = 1 + rng.below(Math.min(64, n - at));
      const range = input.subarray(at, at + length);
      return concat(input.subarray(0, at + length), range, input.subarray(at + length));
    }
    default:
      return editHeader(input, rng);
  }
}

/**
 * A mutant of `input`: one to four mutations, sometimes of purely random
 * bytes instead, so that inputs far from any valid stream are tried too.
 *
 * @example
 * ```ts
 * const mutant = mutate(corpus[0], corpus[1], new Prng(seed));
 * ```
 */
export function mutate(input: Uint8Array, other: Uint8Array, rng: Prng): Uint8Array {
  if (rng.chance(0.03)) return rng.bytes(rng.below(512));
  let out = input;
  const count = 1 + rng.below(4);
  for (let i = 0; i < count; i++) out = mutateOnce(out, other, rng);
  return out;
}
