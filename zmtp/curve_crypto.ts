/**
 * The NaCl primitives CurveZMQ needs, behind one small interface so that the
 * protocol code does not depend on a particular library. `crypto_box` with a
 * precomputed key is the same XSalsa20-Poly1305 construction as
 * `crypto_secretbox`, so one `seal`/`open` pair serves the handshake boxes,
 * the cookie and every MESSAGE.
 */
export interface CurveCrypto {
  /** `n` cryptographically random bytes. */
  randomBytes(n: number): Uint8Array;
  /** The X25519 public key of a 32-byte secret key. */
  publicKey(secretKey: Uint8Array): Uint8Array;
  /**
   * `crypto_box_beforenm`: the shared key of X25519(secret, public) through HSalsa20.
   * Throws for a public key of small order (libsodium refuses those).
   */
  sharedKey(publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array;
  /** XSalsa20-Poly1305 with a 32-byte key and 24-byte nonce: 16-byte tag, then the ciphertext. */
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /**
   * Seals `lead` followed by `plaintext` into a new array that starts with
   * `headerLength` free bytes for the caller: header, 16-byte tag, ciphertext.
   * The result is the only allocation (MESSAGE traffic).
   */
  sealAfterHeader(
    key: Uint8Array,
    nonce: Uint8Array,
    lead: number,
    plaintext: Uint8Array,
    headerLength: number,
  ): Uint8Array;
  /** Opens what `seal` made, or undefined when it does not authenticate. */
  open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Uint8Array | undefined;
}
