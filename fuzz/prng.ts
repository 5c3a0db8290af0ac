/**
 * A small seeded generator (sfc32): every fuzz input is derived from a 32-bit
 * seed, so any failure can be reproduced from the seed alone, on any runtime.
 *
 * @module
 */

import { toHex } from "../core/bytes.ts";

/**
 * Deterministic pseudo-random numbers from a 32-bit seed.
 *
 * @example
 * ```ts
 * const rng = new Prng(42);
 * rng.below(10); // the same number on every run
 * ```
 */
export class Prng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** @param seed any 32-bit integer. */
  constructor(seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    // Discard the first outputs, which still show the seed's structure.
    for (let i = 0; i < 12; i++) this.next();
  }

  /** The next unsigned 32-bit value. */
  next(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return n <= 1 ? 0 : this.next() % n;
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }

  /** One element of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }
}

/**
 * Mixes two 32-bit values into one (murmur3's finaliser), to derive the seed
 * of one input from the run's seed and the input's number.
 *
 * @example
 * ```ts
 * const inputSeed = mixSeed(runSeed, iteration);
 * ```
 */
export function mixSeed(a: number, b: number): number {
  let h = (Math.imul(a >>> 0, 0x85ebca6b) ^ Math.imul(b >>> 0, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A 32-bit hash of some bytes (FNV-1a), so that choices a target makes about
 * one input (such as how to chunk it) depend on the input alone.
 *
 * @example
 * ```ts
 * const rng = new Prng(hashBytes(input));
 * ```
 */
export function hashBytes(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/**
 * Short bytes as hex, long ones as their length and hash: traces compare
 * chunkings of the same input, and hex of megabyte frames would dominate.
 *
 * @example
 * ```ts
 * trace.push(`frame ${fingerprint(body)}`);
 * ```
 */
export function fingerprint(bytes: Uint8Array): string {
  return bytes.length <= 256 ? toHex(bytes) : `${bytes.length}#${hashBytes(bytes).toString(16)}`;
}
