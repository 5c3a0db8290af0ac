import type { CurveCrypto } from "../zmtp/curve_crypto.ts";
import { curveKeyPairWith } from "./security.ts";

let loading: Promise<CurveCrypto> | undefined;

/**
 * The CURVE primitives, loaded on first use only: a program that never uses
 * CURVE never loads the WebAssembly behind them.
 *
 * @example
 * ```ts
 * const crypto = await loadCurveCrypto();
 * ```
 */
export function loadCurveCrypto(): Promise<CurveCrypto> {
  loading ??= import("../zmtp/curve_sodium.ts").then((module) => module.loadSodiumCrypto());
  return loading;
}

/**
 * A new CURVE key pair as 40-character Z85 strings, for `curvePublicKey` /
 * `curveSecretKey` (and a server's public key for clients' `curveServerKey`).
 * Asynchronous, unlike the `zeromq` package's, because the crypto loads on
 * first use.
 *
 * @example
 * ```ts
 * const server = await curveKeyPair();
 * const socket = new Router({ curveServer: true, curveSecretKey: server.secretKey });
 * ```
 */
export async function curveKeyPair(): Promise<{ publicKey: string; secretKey: string }> {
  return curveKeyPairWith(await loadCurveCrypto());
}
