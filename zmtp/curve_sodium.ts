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
  return {
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
