/**
 * Ways to cut one byte stream into reads: whole, a byte at a time, and at
 * random boundaries chosen from the input itself (so a failure reproduces
 * from the input alone). Every chunk is a fresh copy, as a runtime hands
 * over fresh buffers.
 *
 * @module
 */

import { hashBytes, Prng } from "./prng.ts";

/** Streams longer than this are cut in 3-byte reads instead of single bytes (time per input). */
const BYTEWISE_UP_TO = 4096;
/** Streams longer than this (large frames) are cut in reads of 1000 bytes. */
const SMALL_READS_UP_TO = 64 * 1024;

/**
 * Three chunkings of `input`: whole, byte by byte (or in larger reads when
 * long), and at random boundaries.
 *
 * @example
 * ```ts
 * for (const chunks of chunkings(input)) traces.push(run(chunks));
 * ```
 */
export function chunkings(input: Uint8Array): Uint8Array[][] {
  const small = input.length <= BYTEWISE_UP_TO ? 1 : input.length <= SMALL_READS_UP_TO ? 3 : 1000;
  const fine: Uint8Array[] = [];
  for (let at = 0; at < input.length; at += small) fine.push(input.slice(at, at + small));
  const rng = new Prng(hashBytes(input));
  const random: Uint8Array[] = [];
  for (let at = 0; at < input.length;) {
    const length = 1 + rng.below(rng.chance(0.3) ? 8 : 200);
    random.push(input.slice(at, at + length));
    at += length;
  }
  return [[input.slice()], fine, random];
}
