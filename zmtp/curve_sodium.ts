import sodium from "libsodium-wrappers";
import type { CurveCrypto } from "./curve_crypto.ts";

/**
 * CurveZMQ's primitives from libsodium compiled to WebAssembly
 * (libsodium-wrappers): it runs unchanged on Node, Deno and Bun, and measured
 * fastest of the candidates on MESSAGE traffic and handshakes
 * (bench/crypto_candidates.ts). Loaded only when a socket uses CURVE.
 *
 * @example
 * ```ts
 * const crypto = await loadSodiumCrypto();
 * const key = crypto.sharedKey(serverPublic, clientSecret);
 * ```
 */
export async function loadSodiumCrypto(): Promise<CurveCrypto> {
  await sodium.ready;
  const heap = new WasmScratch((sodium as unknown as { libsodium: SodiumExports }).libsodium);
  return {
    sealAfterHeader: (key, nonce, lead, plaintext, headerLength) =>
      heap.sealAfterHeader(key, nonce, lead, plaintext, headerLength),
    randomBytes: (n) => sodium.randombytes_buf(n),
    publicKey: (secretKey) => sodium.crypto_scalarmult_base(secretKey),
    sharedKey: (publicKey, secretKey) => sodium.crypto_box_beforenm(publicKey, secretKey),
    seal: (key, nonce, plaintext) => sodium.crypto_secretbox_easy(plaintext, nonce, key),
    open: (key, nonce, sealed) => {
      try {
        return sodium.crypto_secretbox_open_easy(sealed, nonce, key);
      } catch {
        // libsodium-wrappers throws when the tag does not verify.
        return undefined;
      }
    },
  };
}

/** The raw exports of libsodium's WebAssembly module that MESSAGE sealing uses. */
interface SodiumExports {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(pointer: number): void;
  _crypto_box_easy_afternm(
    ciphertext: number,
    message: number,
    lengthLow: number,
    lengthHigh: number,
    nonce: number,
    key: number,
  ): number;
}

/**
 * One region of WebAssembly memory reused for every MESSAGE: key, nonce and
 * plaintext are copied in, sealed there, and the sealed bytes copied once
 * into the frame that goes out. The wrapper API would allocate the plaintext
 * with its flag byte, the sealed output, and the frame, for each message.
 * This uses libsodium-wrappers' raw exports, so the version is pinned and
 * the CurveZMQ transcript test checks the bytes.
 */
class WasmScratch {
  readonly #exports: SodiumExports;
  #base = 0;
  #capacity = 0;

  constructor(exports: SodiumExports) {
    this.#exports = exports;
  }

  sealAfterHeader(
    key: Uint8Array,
    nonce: Uint8Array,
    lead: number,
    plaintext: Uint8Array,
    headerLength: number,
  ): Uint8Array {
    const length = plaintext.length + 1;
    const base = this.#reserve(length);
    const keyAt = base;
    const nonceAt = base + 32;
    const inputAt = base + 64;
    const outputAt = inputAt + this.#capacity;
    // Read HEAPU8 after #reserve: growing the memory replaces the view.
    const memory = this.#exports.HEAPU8;
    memory.set(key, keyAt);
    memory.set(nonce, nonceAt);
    memory[inputAt] = lead;
    memory.set(plaintext, inputAt + 1);
    if (
      this.#exports._crypto_box_easy_afternm(outputAt, inputAt, length, 0, nonceAt, keyAt) !== 0
    ) {
      throw new Error("libsodium could not seal a CURVE MESSAGE");
    }
    const frame = new Uint8Array(headerLength + 16 + length);
    frame.set(this.#exports.HEAPU8.subarray(outputAt, outputAt + 16 + length), headerLength);
    return frame;
  }

  /** A region with room for key, nonce, `length` bytes in and `length + 16` out. */
  #reserve(length: number): number {
    if (length + 16 > this.#capacity) {
      if (this.#base !== 0) this.#exports._free(this.#base);
      this.#capacity = Math.max(length + 16, 64 * 1024);
      this.#base = this.#exports._malloc(64 + 2 * this.#capacity);
      if (this.#base === 0) throw new Error("libsodium could not allocate memory");
    }
    return this.#base;
  }
}
