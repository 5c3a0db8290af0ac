/**
 * CurveZMQ crypto candidates: correctness and speed of the NaCl primitives that CURVE needs
 * (X25519, HSalsa20 `beforenm`, XSalsa20-Poly1305 `crypto_box_afternm` = `crypto_secretbox`),
 * for each candidate library on the runtime that runs this file: `node`, `deno run -A` or `bun`.
 *
 * Only libsodium-wrappers (the one chosen) is a dependency of monocoque. Install all the
 * candidates in a scratch project and point this file at it (none needs a postinstall script):
 *
 *     mkdir /tmp/cryptobench && cd /tmp/cryptobench && echo '{"type":"module"}' > package.json
 *     npm install --ignore-scripts @noble/curves @noble/ciphers libsodium-wrappers \
 *       tweetnacl @stablelib/nacl @stablelib/x25519
 *
 *     node bench/crypto_candidates.ts --dir=/tmp/cryptobench              # one process, all
 *     deno run -A bench/crypto_candidates.ts --dir=/tmp/cryptobench
 *     bun bench/crypto_candidates.ts --dir=/tmp/cryptobench
 *     node bench/crypto_candidates.ts --dir=/tmp/cryptobench --spawn      # all runtimes, one
 *                                                # fresh process per runtime × candidate
 *
 * `--dir` may also come from `CRYPTO_CANDIDATES_DIR`. Other options: `--only=noble,tweetnacl`,
 * `--seconds=1` (timed window per measurement, after a warm-up of a third of it),
 * `--no-bench` (correctness only), `--out=FILE` (write the JSON record), `--md=FILE` (with
 * `--spawn`: also write the Markdown report), `--runtimes=node,deno,bun` (with `--spawn`),
 * `--report FILE...` (print the Markdown report of JSON records written by `--out`; where
 * several runs measured the same thing, the median).
 *
 * What is measured (MB = 10^6 bytes of plaintext; every rate is per second of the process's CPU
 * time, user + system over all its threads, so that other work on a shared machine does not
 * count; the wall-clock time is in the JSON records too):
 * - MESSAGE traffic: seal and open (with tag check) of 64 B and 1 KiB with a precomputed
 *   32-byte key and a 24-byte nonce whose last 8 bytes count up, through the library's
 *   allocating API and, where the library allows it, writing into a caller's buffer ("into").
 * - Handshake: X25519 with a variable point, with the base point (key generation), `beforenm`
 *   (X25519 + HSalsa20), seal/open of 150 B; then an estimate of handshakes/s from the counts
 *   below, and a simulation of one complete CURVE handshake (both sides, real sizes, real
 *   nonces, every box opened and checked).
 *
 * Crypto of one CURVE handshake (RFC 26, the layout of the zmtp-digest §2.3):
 * - client: keygen C′ (1 base X25519); beforenm(S, c′) for HELLO and WELCOME; beforenm(S′, c′)
 *   for INITIATE, READY and MESSAGE; beforenm(S′, c) for the vouch (3 beforenm); seals HELLO
 *   (64 B), vouch (64 B), INITIATE (128 B + metadata); opens WELCOME (128 B), READY (metadata).
 * - server: keygen S′ (1 base); beforenm(C′, s) for HELLO and WELCOME; beforenm(C′, s′) for
 *   INITIATE, READY and MESSAGE; beforenm(C, s′) for the vouch (3 beforenm); opens HELLO,
 *   cookie (secretbox), INITIATE, vouch; seals cookie (secretbox, 64 B), WELCOME (128 B),
 *   READY (metadata).
 * So client = 1 base + 3 beforenm + 3 seal + 2 open, server = 1 base + 3 beforenm + 3 seal +
 * 4 open; the estimate prices every seal/open at the 150 B figure.
 *
 * Correctness, on every runtime: each candidate reproduces the deterministic transcript of
 * zmtp-digest §7 (public keys, both `beforenm` vectors, the HELLO, cookie, WELCOME, vouch,
 * INITIATE, READY and MESSAGE boxes, byte for byte, and opens them), and a box sealed by any
 * candidate opens with every other one, while a box with one flipped bit opens with none.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";

// ---------------------------------------------------------------------------------------------
// The candidate interface

/** One implementation of the primitives, behind the NaCl names. Keys and nonces are bytes. */
export interface Candidate {
  readonly name: string;
  /** Packages and versions, read from their package.json. */
  readonly packages: readonly string[];
  /** How a call allocates, and what the "into" variant does (for the report). */
  readonly notes: string;
  /** X25519(sk, pk), the raw shared point. */
  scalarmult(sk: Uint8Array, pk: Uint8Array): Uint8Array;
  /** X25519(sk, 9): the public key of sk. */
  scalarmultBase(sk: Uint8Array): Uint8Array;
  /** `crypto_box_beforenm(pk, sk)` = HSalsa20(X25519(sk, pk), 0). */
  beforenm(pk: Uint8Array, sk: Uint8Array): Uint8Array;
  /** `crypto_box_easy_afternm` = `crypto_secretbox_easy`: tag(16) ‖ ciphertext, a new array. */
  seal(msg: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array;
  /** Opens a box; null when the tag does not verify. */
  open(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null;
  /**
   * Seals into the caller's `scratch` (at least msg.length + 32 bytes, reused between calls)
   * and returns the box as a view of it. Absent when the library cannot write into a caller's
   * buffer.
   */
  sealInto?(msg: Uint8Array, nonce: Uint8Array, key: Uint8Array, scratch: Uint8Array): Uint8Array;
  /** Opens into `scratch` (at least box.length + 32 bytes); the plaintext is a view of it. */
  openInto?(
    box: Uint8Array,
    nonce: Uint8Array,
    key: Uint8Array,
    scratch: Uint8Array,
  ): Uint8Array | null;
}

/** Loads one candidate from `<dir>/node_modules`. */
export type Loader = (dir: string) => Promise<Candidate>;

// ---------------------------------------------------------------------------------------------
// Loading packages from the candidates' directory (not from this repository)

interface PackageJson {
  version?: string;
  main?: string;
  exports?: unknown;
}

function packageJson(dir: string, name: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, "node_modules", name, "package.json"), "utf8"));
}

/** The ESM entry of `exports[subpath]`, preferring the `import` condition. */
function pickExport(entry: unknown): string | undefined {
  if (typeof entry === "string") return entry;
  if (entry !== null && typeof entry === "object") {
    const conditions = entry as Record<string, unknown>;
    for (const key of ["import", "module", "default", "node"]) {
      const found = pickExport(conditions[key]);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Resolves `name` + `subpath` inside `<dir>/node_modules` the way Node's ESM loader would. */
function resolvePackage(dir: string, name: string, subpath = "."): string {
  const pkg = packageJson(dir, name);
  let target: string | undefined;
  if (pkg.exports !== undefined) {
    // "exports" is a target, a map of conditions, or a map of subpaths ("./x.js": ...).
    const isSubpathMap = typeof pkg.exports === "object" && pkg.exports !== null &&
      Object.keys(pkg.exports).some((k) => k.startsWith("."));
    const map = isSubpathMap ? pkg.exports as Record<string, unknown> : { ".": pkg.exports };
    target = pickExport(map[subpath]);
  } else {
    target = subpath === "." ? (pkg.main ?? "index.js") : subpath;
  }
  if (target === undefined) throw new Error(`${name}: no export for "${subpath}"`);
  return join(dir, "node_modules", name, target);
}

async function importPackage<T>(dir: string, name: string, subpath = "."): Promise<T> {
  const file = resolvePackage(dir, name, subpath);
  return await import(pathToFileURL(file).href) as T;
}

function versionOf(dir: string, name: string): string {
  return `${name}@${packageJson(dir, name).version ?? "?"}`;
}

// ---------------------------------------------------------------------------------------------
// Candidates

const SIGMA = new TextEncoder().encode("expand 32-byte k");

interface NobleX25519 {
  scalarMult(scalar: Uint8Array, u: Uint8Array): Uint8Array;
  scalarMultBase(scalar: Uint8Array): Uint8Array;
}
interface NobleCipher {
  encrypt(data: Uint8Array, output?: Uint8Array): Uint8Array;
  decrypt(data: Uint8Array, output?: Uint8Array): Uint8Array;
}
interface NobleSalsa {
  xsalsa20poly1305(key: Uint8Array, nonce: Uint8Array): NobleCipher;
  hsalsa(sigma: Uint32Array, key: Uint32Array, input: Uint32Array, out: Uint32Array): void;
}

/** @noble/curves x25519 + @noble/ciphers xsalsa20poly1305 and its exported hsalsa. */
const loadNoble: Loader = async (dir) => {
  const { x25519 } = await importPackage<{ x25519: NobleX25519 }>(
    dir,
    "@noble/curves",
    "./ed25519.js",
  );
  const salsa = await importPackage<NobleSalsa>(dir, "@noble/ciphers", "./salsa.js");
  const { xsalsa20poly1305, hsalsa } = salsa;
  // hsalsa takes host-order words, as noble's own xsalsa20 passes them (u32 views).
  const sigma32 = new Uint32Array(SIGMA.slice().buffer);
  const zero4 = new Uint32Array(4);
  return {
    name: "noble",
    packages: [versionOf(dir, "@noble/curves"), versionOf(dir, "@noble/ciphers")],
    notes: "seal/open build a cipher object per call (single use); the XSalsa20 stream copies " +
      "key and nonce and allocates a block, Poly1305 allocates its state: ~10 small typed " +
      "arrays per call. Output: new n+32 array, box = its [16..]; `output` may be the caller's " +
      "buffer of exactly n+32 bytes (box lands at [16..], the 16 bytes before it are zeroed). " +
      "Open verifies first, then decrypts (HSalsa20 runs twice per open).",
    scalarmult: (sk, pk) => x25519.scalarMult(sk, pk),
    scalarmultBase: (sk) => x25519.scalarMultBase(sk),
    beforenm(pk, sk) {
      const shared = x25519.scalarMult(sk, pk);
      const key = new Uint32Array(8);
      new Uint8Array(key.buffer).set(shared);
      const out = new Uint32Array(8);
      hsalsa(sigma32, key, zero4, out);
      return new Uint8Array(out.buffer);
    },
    seal: (msg, nonce, key) => xsalsa20poly1305(key, nonce).encrypt(msg),
    open(box, nonce, key) {
      try {
        return xsalsa20poly1305(key, nonce).decrypt(box);
      } catch {
        return null;
      }
    },
    sealInto: (msg, nonce, key, scratch) =>
      xsalsa20poly1305(key, nonce).encrypt(msg, scratch.subarray(0, msg.length + 32)),
    openInto(box, nonce, key, scratch) {
      try {
        return xsalsa20poly1305(key, nonce).decrypt(box, scratch.subarray(0, box.length + 32));
      } catch {
        return null;
      }
    },
  };
};

interface SodiumRaw {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _crypto_box_easy_afternm(
    c: number,
    m: number,
    mlenLo: number,
    mlenHi: number,
    n: number,
    k: number,
  ): number;
  _crypto_box_open_easy_afternm(
    m: number,
    c: number,
    clenLo: number,
    clenHi: number,
    n: number,
    k: number,
  ): number;
}
interface Sodium {
  ready: Promise<void>;
  libsodium: SodiumRaw;
  crypto_scalarmult(sk: Uint8Array, pk: Uint8Array): Uint8Array;
  crypto_scalarmult_base(sk: Uint8Array): Uint8Array;
  crypto_box_beforenm(pk: Uint8Array, sk: Uint8Array): Uint8Array;
  crypto_box_easy_afternm(m: Uint8Array, n: Uint8Array, k: Uint8Array): Uint8Array;
  crypto_box_open_easy_afternm(c: Uint8Array, n: Uint8Array, k: Uint8Array): Uint8Array;
}

/**
 * libsodium-wrappers (libsodium compiled to WebAssembly). "into" calls the raw Emscripten
 * exports (`sodium.libsodium`) with one heap region allocated once: copy key, nonce and input
 * in, copy the output out into the caller's buffer. That is the best a wasm library can do
 * without the caller's bytes living in wasm memory.
 */
const loadSodium: Loader = async (dir) => {
  const mod = await importPackage<{ default?: Sodium } & Partial<Sodium>>(
    dir,
    "libsodium-wrappers",
  );
  const sodium = (mod.default ?? mod) as Sodium;
  await sodium.ready;
  const raw = sodium.libsodium;
  let capacity = 0;
  let base = 0;
  const region = (size: number): number => {
    if (size > capacity) {
      if (base !== 0) raw._free(base);
      capacity = Math.max(size, 64 * 1024);
      base = raw._malloc(64 + 2 * capacity);
      if (base === 0) throw new Error("libsodium: _malloc failed");
    }
    return base;
  };
  return {
    name: "libsodium",
    packages: [versionOf(dir, "libsodium-wrappers"), versionOf(dir, "libsodium")],
    notes: "Wrapper: every call mallocs in wasm memory for each argument and the result, " +
      "copies in, calls, copies the result out to a new array and frees. No output buffer, " +
      "key precomputed (beforenm) supported. 'into' = raw exports with a persistent heap " +
      "region (copy in, copy out to the caller's buffer). Needs `await sodium.ready`.",
    scalarmult: (sk, pk) => sodium.crypto_scalarmult(sk, pk),
    scalarmultBase: (sk) => sodium.crypto_scalarmult_base(sk),
    beforenm: (pk, sk) => sodium.crypto_box_beforenm(pk, sk),
    seal: (msg, nonce, key) => sodium.crypto_box_easy_afternm(msg, nonce, key),
    open(box, nonce, key) {
      try {
        return sodium.crypto_box_open_easy_afternm(box, nonce, key);
      } catch {
        return null;
      }
    },
    sealInto(msg, nonce, key, scratch) {
      const n = msg.length;
      const p = region(n + 16);
      const keyPtr = p, noncePtr = p + 32, inPtr = p + 64, outPtr = p + 64 + capacity;
      const heap = raw.HEAPU8; // after region(): _malloc may have grown the memory
      heap.set(key, keyPtr);
      heap.set(nonce, noncePtr);
      heap.set(msg, inPtr);
      if (raw._crypto_box_easy_afternm(outPtr, inPtr, n, 0, noncePtr, keyPtr) !== 0) {
        throw new Error("crypto_box_easy_afternm failed");
      }
      const out = scratch.subarray(0, n + 16);
      out.set(heap.subarray(outPtr, outPtr + n + 16));
      return out;
    },
    openInto(box, nonce, key, scratch) {
      const n = box.length;
      if (n < 16) return null;
      const p = region(n);
      const keyPtr = p, noncePtr = p + 32, inPtr = p + 64, outPtr = p + 64 + capacity;
      const heap = raw.HEAPU8;
      heap.set(key, keyPtr);
      heap.set(nonce, noncePtr);
      heap.set(box, inPtr);
      if (raw._crypto_box_open_easy_afternm(outPtr, inPtr, n, 0, noncePtr, keyPtr) !== 0) {
        return null;
      }
      const out = scratch.subarray(0, n - 16);
      out.set(heap.subarray(outPtr, outPtr + n - 16));
      return out;
    },
  };
};

interface TweetNacl {
  scalarMult: ((n: Uint8Array, p: Uint8Array) => Uint8Array) & {
    base(n: Uint8Array): Uint8Array;
  };
  box: {
    before(pk: Uint8Array, sk: Uint8Array): Uint8Array;
    after(m: Uint8Array, n: Uint8Array, k: Uint8Array): Uint8Array;
    open: { after(c: Uint8Array, n: Uint8Array, k: Uint8Array): Uint8Array | null };
  };
  lowlevel: {
    crypto_secretbox(c: Uint8Array, m: Uint8Array, d: number, n: Uint8Array, k: Uint8Array): number;
    crypto_secretbox_open(
      m: Uint8Array,
      c: Uint8Array,
      d: number,
      n: Uint8Array,
      k: Uint8Array,
    ): number;
  };
}

/** tweetnacl 1.0.3 (nacl-fast.js, CommonJS/UMD). "into" = `nacl.lowlevel` with padded buffers. */
const loadTweetnacl: Loader = async (dir) => {
  const mod = await importPackage<{ default?: TweetNacl } & Partial<TweetNacl>>(dir, "tweetnacl");
  const nacl = (mod.default ?? mod) as TweetNacl;
  const low = nacl.lowlevel;
  // The NaCl zero-padding API: plaintext behind 32 zero bytes, box behind 16 zero bytes.
  let padM = new Uint8Array(0);
  let padC = new Uint8Array(0);
  return {
    name: "tweetnacl",
    packages: [versionOf(dir, "tweetnacl")],
    notes: "box.after/box.open.after: two new n+32 arrays per call (zero-padded copy of the " +
      "input, and the output) + two small ones inside crypto_stream_xor. 'into' = " +
      "nacl.lowlevel.crypto_secretbox(_open) into the caller's buffer, with one reused " +
      "zero-padded input buffer (the input is still copied once).",
    scalarmult: (sk, pk) => nacl.scalarMult(sk, pk),
    scalarmultBase: (sk) => nacl.scalarMult.base(sk),
    beforenm: (pk, sk) => nacl.box.before(pk, sk),
    seal: (msg, nonce, key) => nacl.box.after(msg, nonce, key),
    open: (box, nonce, key) => nacl.box.open.after(box, nonce, key),
    sealInto(msg, nonce, key, scratch) {
      const d = msg.length + 32;
      if (padM.length < d) padM = new Uint8Array(Math.max(d, 2 * padM.length));
      padM.set(msg, 32); // padM[0..32] stays zero
      low.crypto_secretbox(scratch, padM, d, nonce, key);
      return scratch.subarray(16, d);
    },
    openInto(box, nonce, key, scratch) {
      const d = box.length + 16;
      if (d < 32) return null;
      if (padC.length < d) padC = new Uint8Array(Math.max(d, 2 * padC.length));
      padC.set(box, 16); // padC[0..16] stays zero
      if (low.crypto_secretbox_open(scratch, padC, d, nonce, key) !== 0) return null;
      return scratch.subarray(32, d);
    },
  };
};

interface StableNacl {
  precomputeSharedKey(theirPublicKey: Uint8Array, mySecretKey: Uint8Array): Uint8Array;
  secretBox(key: Uint8Array, nonce: Uint8Array, data: Uint8Array): Uint8Array;
  openSecretBox(key: Uint8Array, nonce: Uint8Array, box: Uint8Array): Uint8Array | null;
}
interface StableX25519 {
  scalarMult(n: Uint8Array, p: Uint8Array): Uint8Array;
  scalarMultBase(n: Uint8Array): Uint8Array;
}

/** @stablelib/nacl + @stablelib/x25519 (pure TS, ESM). */
const loadStablelib: Loader = async (dir) => {
  const nacl = await importPackage<StableNacl>(dir, "@stablelib/nacl");
  const x = await importPackage<StableX25519>(dir, "@stablelib/x25519");
  return {
    name: "stablelib",
    packages: [versionOf(dir, "@stablelib/nacl"), versionOf(dir, "@stablelib/x25519")],
    notes: "secretBox/openSecretBox: a new n+16 output plus 64 B block, 32 B nonce-counter and " +
      "Poly1305 state per call; no output buffer.",
    scalarmult: (sk, pk) => x.scalarMult(sk, pk),
    scalarmultBase: (sk) => x.scalarMultBase(sk),
    beforenm: (pk, sk) => nacl.precomputeSharedKey(pk, sk),
    seal: (msg, nonce, key) => nacl.secretBox(key, nonce, msg),
    open: (box, nonce, key) => nacl.openSecretBox(key, nonce, box),
  };
};

/** The candidates by name, for other scratch scripts (this file runs only as the main module). */
export const LOADERS: Readonly<Record<string, Loader>> = {
  noble: loadNoble,
  libsodium: loadSodium,
  tweetnacl: loadTweetnacl,
  stablelib: loadStablelib,
};
/** X25519 only, through WebCrypto (async): a possible accelerator for the handshake. */
const WEBCRYPTO = "webcrypto";
const ALL = [...Object.keys(LOADERS), WEBCRYPTO];

// ---------------------------------------------------------------------------------------------
// Bytes

function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}
function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
function ascii(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
function equal(a: Uint8Array | null, b: Uint8Array): boolean {
  if (a === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
function fill(n: number, byte: number): Uint8Array {
  return new Uint8Array(n).fill(byte);
}
function random(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}
function shortNonce(prefix: string, counter: number): Uint8Array {
  const nonce = new Uint8Array(24);
  nonce.set(ascii(prefix));
  new DataView(nonce.buffer).setUint32(20, counter);
  return nonce;
}
function u64(counter: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setUint32(4, counter);
  return out;
}

/** ZMTP metadata property: name length, name, u32 value length, value. */
function property(name: string, value: string): Uint8Array {
  const v = ascii(value);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, v.length);
  return concat(Uint8Array.of(name.length), ascii(name), len, v);
}

// ---------------------------------------------------------------------------------------------
// zmtp-digest §7: libzmq test keys and the deterministic CurveZMQ transcript

const V = {
  clientPublic: hex("BB88471D65E2659B30C55A5321CEBB5AAB2B70A398645C26DCA2B2FCB43FC518"),
  clientSecret: hex("7BB864B489AFA3671FBE69101F94B38972F24816DFB01B51656B3FEC8DFD0888"),
  serverPublic: hex("54FCBA24E93249969316FB617C872BB0C1D1FF14800427C594CBFACF1BC2D652"),
  serverSecret: hex("8E0BDD697628B91D8F245587EE95C5B04D48963F79259877B49CD9063AEAD3B7"),
  cT: fill(32, 0x01),
  CT: hex("a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209"),
  sT: fill(32, 0x02),
  ST: hex("ce8d3ad1ccb633ec7b70c17814a5c76ecd029685050d344745ba05870e587d59"),
  K: fill(32, 0x03),
  Nw: fill(16, 0x04),
  Nc: fill(16, 0x05),
  Nv: fill(16, 0x06),
  beforenmS: hex("516d0fc7a18a927baa1f90e4843ccdc5a63472fa134ea19a96c2038e40cef1b1"),
  beforenmST: hex("18a99320f3488fa18a04239715d8ee738065e65c3d4b2898522d6c3d4ead588c"),
  hello: hex(`
    04c80548454c4c4f010000000000000000000000000000000000000000000000
    0000000000000000000000000000000000000000000000000000000000000000
    000000000000000000000000000000000000a4e09292b651c278b9772c569f5f
    a9bb13d906b46ab68c9df9dc2b4409f8a20900000000000000018373e6339d16
    71fc8c8e1bd8896fa8eb3caa99ee23ab921111a41f4bdd6ec09729dd00c5951d
    9619a1586b75e93f5b2180c86e7866a061a6ec676f7819da3d9c68b56b80edc3
    6981cab1b7ef50882957`),
  welcome: hex(`
    04a80757454c434f4d4504040404040404040404040404040404a0d20c1318a3
    5107a283304574a819cc4e86305c7e98fdaa9c68a93cc97d70f882979500eee5
    44d60c075024129544c52680f530ff37c86c4a2375f2ef0b5561a87889910d9b
    db50d54b57d42d09405d50921bafcc3cc7c77faef9ce24733e873786075a58fe
    7d39fa7ac0a945d9ad4cd475b6ce6a26fabce44928d78f92937d832a580ec58c
    1563c610fc15e8fba5a7`),
  initiate: hex(`
    06000000000000012408494e4954494154450505050505050505050505050505
    050597e3502cba39b3aa6763168ed961a178edad2cb4a321a644617b2c29c50e
    bf66ac5aee9852dba06101f1735e555ff80d529baef7ba6d9ce3a8ca22d5916f
    a0db544314bfc386b5f6e4c394976867376300000000000000023d6f20f76c69
    1acbcbb3708f9b6fdc945d0d6412f78edb8a330ea01a031b62ba262a7983e1b3
    d89971a4c8787979010df3263a14b8e1bada606f174139e99aa3b75ff83d1899
    3cb5f7ae4ac5e86f0d9dbff852b94e885189ee272c6165741b1444de431df53c
    6b7e9d41e64c3598952880dbad50127d1be101d38aaff5dffa7d5221e0bc54db
    c790db50959d21dd670783bf8e3e81bf46b9cb4b7b101983b59d33fe504dfa2d
    6ecdc1d5679ee15c7b7bf73197`),
  ready: hex(`
    0441055245414459000000000000000182a251187f98b2804a02ab6d34eb1a9e
    8c8523db54e3e1ea33d4794898e5721f7fec0a9e7d437eb1c0d9d2b28b3ca26a
    dc718b`),
  messageC: hex(`
    0026074d45535341474500000000000000035c4c430dd14146bdd13d5017df4d
    49285fce9c50a189`),
  messageS: hex(`
    0026074d45535341474500000000000000028cc06e0bf12d5e3deda5f8199d8c
    e0a42bc54433240a`),
};

interface Check {
  candidate: string;
  name: string;
  ok: boolean;
  detail?: string;
}

/** Every §7 value, computed by one candidate. */
function transcriptChecks(c: Candidate): Check[] {
  const out: Check[] = [];
  const check = (name: string, run: () => boolean | string): void => {
    try {
      const r = run();
      out.push(
        r === true
          ? { candidate: c.name, name, ok: true }
          : { candidate: c.name, name, ok: false, detail: r === false ? "mismatch" : r },
      );
    } catch (e) {
      out.push({ candidate: c.name, name, ok: false, detail: `threw: ${String(e)}` });
    }
  };
  const same = (got: Uint8Array | null, want: Uint8Array): true | string =>
    equal(got, want) || `got ${got === null ? "null" : toHex(got)}, want ${toHex(want)}`;

  check(
    "public keys C, S, C′, S′ = X25519(secret, 9)",
    () =>
      equal(c.scalarmultBase(V.clientSecret), V.clientPublic) &&
      equal(c.scalarmultBase(V.serverSecret), V.serverPublic) &&
      equal(c.scalarmultBase(V.cT), V.CT) && equal(c.scalarmultBase(V.sT), V.ST),
  );
  check("beforenm(S, c′) = 516d…f1b1", () => same(c.beforenm(V.serverPublic, V.cT), V.beforenmS));
  check("beforenm(S′, c′) = 18a9…588c", () => same(c.beforenm(V.ST, V.cT), V.beforenmST));
  check(
    "beforenm(C′, s) and beforenm(C′, s′) equal the client's",
    () =>
      equal(c.beforenm(V.CT, V.serverSecret), V.beforenmS) &&
      equal(c.beforenm(V.CT, V.sT), V.beforenmST),
  );
  check(
    "scalarmult(c′, S′) = scalarmult(s′, C′)",
    () => equal(c.scalarmult(V.cT, V.ST), c.scalarmult(V.sT, V.CT)),
  );

  // HELLO: frame header 2, body 200; box at body 120, nonce suffix at body 112.
  const helloNonce = concat(ascii("CurveZMQHELLO---"), V.hello.subarray(2 + 112, 2 + 120));
  const helloBox = V.hello.subarray(2 + 120);
  check(
    "HELLO box = box(64×00, pk=S, sk=c′)",
    () => same(c.seal(new Uint8Array(64), helloNonce, c.beforenm(V.serverPublic, V.cT)), helloBox),
  );
  check(
    "HELLO box opens (server side)",
    () => same(c.open(helloBox, helloNonce, c.beforenm(V.CT, V.serverSecret)), new Uint8Array(64)),
  );

  // Cookie = N_c ‖ secretbox(C′ ‖ s′, "COOKIE--" ‖ N_c, K); WELCOME box = box(S′ ‖ cookie).
  const cookieNonce = concat(ascii("COOKIE--"), V.Nc);
  const cookieBox = V.initiate.subarray(9 + 9 + 16, 9 + 105);
  check(
    "cookie = secretbox(C′ ‖ s′, K)",
    () => same(c.seal(concat(V.CT, V.sT), cookieNonce, V.K), cookieBox),
  );
  check("cookie opens", () => same(c.open(cookieBox, cookieNonce, V.K), concat(V.CT, V.sT)));
  const welcomeNonce = concat(ascii("WELCOME-"), V.welcome.subarray(2 + 8, 2 + 24));
  const welcomeBox = V.welcome.subarray(2 + 24);
  const welcomePlain = concat(V.ST, V.Nc, cookieBox);
  check(
    "WELCOME box = box(S′ ‖ cookie, pk=C′, sk=s)",
    () => same(c.seal(welcomePlain, welcomeNonce, c.beforenm(V.CT, V.serverSecret)), welcomeBox),
  );
  check(
    "WELCOME box opens (client side)",
    () => same(c.open(welcomeBox, welcomeNonce, c.beforenm(V.serverPublic, V.cT)), welcomePlain),
  );

  // INITIATE: header 9, body: 9 name, 96 cookie, 8 short nonce, box(C ‖ N_v ‖ vouch ‖ meta).
  const vouchNonce = concat(ascii("VOUCH---"), V.Nv);
  const vouch = c.seal(concat(V.CT, V.serverPublic), vouchNonce, c.beforenm(V.ST, V.clientSecret));
  const metaC = concat(property("Socket-Type", "DEALER"), property("Identity", ""));
  const initPlain = concat(V.clientPublic, V.Nv, vouch, metaC);
  const initNonce = concat(ascii("CurveZMQINITIATE"), V.initiate.subarray(9 + 105, 9 + 113));
  const initBox = V.initiate.subarray(9 + 113);
  check(
    "INITIATE box = box(C ‖ N_v ‖ vouch ‖ metadata, pk=S′, sk=c′), vouch pk=S′ sk=c",
    () => same(c.seal(initPlain, initNonce, c.beforenm(V.ST, V.cT)), initBox),
  );
  check("INITIATE and vouch open (server side)", () => {
    const plain = c.open(initBox, initNonce, c.beforenm(V.CT, V.sT));
    if (plain === null) return "INITIATE did not open";
    const C = plain.subarray(0, 32);
    const inner = c.open(
      plain.subarray(48, 128),
      concat(ascii("VOUCH---"), plain.subarray(32, 48)),
      c.beforenm(C, V.sT),
    );
    return same(inner, concat(V.CT, V.serverPublic));
  });

  // READY: header 2, body: 6 name, 8 short nonce, box(metadata).
  const readyNonce = concat(ascii("CurveZMQREADY---"), V.ready.subarray(2 + 6, 2 + 14));
  const metaS = concat(property("Socket-Type", "ROUTER"), property("Identity", ""));
  check(
    "READY box = box(metadata, pk=C′, sk=s′)",
    () => same(c.seal(metaS, readyNonce, c.beforenm(V.CT, V.sT)), V.ready.subarray(2 + 14)),
  );
  check(
    "READY opens (client side)",
    () => same(c.open(V.ready.subarray(2 + 14), readyNonce, c.beforenm(V.ST, V.cT)), metaS),
  );

  // MESSAGE: header 2, body: 8 name, 8 short nonce, box(flags ‖ payload).
  check('client MESSAGE "Hello" (nonce 3)', () =>
    same(
      c.seal(
        concat(Uint8Array.of(0), ascii("Hello")),
        concat(ascii("CurveZMQMESSAGEC"), u64(3)),
        V.beforenmST,
      ),
      V.messageC.subarray(2 + 16),
    ));
  check('server MESSAGE "World" (nonce 2) opens', () =>
    same(
      c.open(V.messageS.subarray(2 + 16), concat(ascii("CurveZMQMESSAGES"), u64(2)), V.beforenmST),
      concat(Uint8Array.of(0), ascii("World")),
    ));
  if (c.sealInto !== undefined && c.openInto !== undefined) {
    const sealInto = c.sealInto.bind(c);
    const openInto = c.openInto.bind(c);
    check('"into" API: seal/open equal the allocating API (1..4096 B)', () => {
      const scratch = new Uint8Array(4096 + 64);
      const scratch2 = new Uint8Array(4096 + 64);
      for (const n of [1, 31, 32, 33, 63, 64, 65, 150, 1024, 4096]) {
        const msg = random(n);
        const nonce = random(24);
        const boxed = c.seal(msg, nonce, V.beforenmST);
        if (!equal(sealInto(msg, nonce, V.beforenmST, scratch), boxed)) return `seal ${n} B`;
        if (!equal(openInto(boxed, nonce, V.beforenmST, scratch2), msg)) return `open ${n} B`;
        boxed[n >> 1] ^= 1;
        if (openInto(boxed, nonce, V.beforenmST, scratch2) !== null) return `forgery ${n} B`;
      }
      return true;
    });
  }
  return out;
}

/** A box sealed by each candidate opens with every other one; a flipped bit opens with none. */
function crossChecks(cands: readonly Candidate[]): Check[] {
  const out: Check[] = [];
  for (const a of cands) {
    for (const b of cands) {
      if (a === b) continue;
      const name = `${a.name} seals → ${b.name} opens`;
      try {
        let detail: string | undefined;
        for (const n of [1, 32, 64, 150, 1024, 5000]) {
          const skA = random(32), skB = random(32);
          const pkA = a.scalarmultBase(skA), pkB = b.scalarmultBase(skB);
          const kA = a.beforenm(pkB, skA), kB = b.beforenm(pkA, skB);
          if (!equal(kA, kB)) {
            detail = "beforenm differs";
            break;
          }
          const msg = random(n), nonce = random(24);
          const boxed = a.seal(msg, nonce, kA);
          if (!equal(b.open(boxed, nonce, kB), msg)) {
            detail = `${n} B did not open`;
            break;
          }
          const bad = boxed.slice();
          bad[(n * 7) % bad.length] ^= 0x20;
          if (b.open(bad, nonce, kB) !== null) {
            detail = `${n} B forged box opened`;
            break;
          }
        }
        out.push(
          detail === undefined ? { candidate: a.name, name, ok: true } : {
            candidate: a.name,
            name,
            ok: false,
            detail,
          },
        );
      } catch (e) {
        out.push({ candidate: a.name, name, ok: false, detail: `threw: ${String(e)}` });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Timing

interface Measure {
  candidate: string;
  metric: string;
  /** Plaintext bytes per operation, 0 when not a byte-throughput figure. */
  bytes: number;
  ops: number;
  /** Wall-clock time of the timed window. */
  ms: number;
  /** CPU time of this process (user + system, all threads) in the same window. */
  cpuMs: number;
}

let sink = 0;

/** CPU time of this process in ms: robust against other processes on a shared machine. */
function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Runs `fn` for a warm-up (a third of `seconds` of CPU time, in batches doubling until one
 * lasts ≥ 10 ms), then for at least `seconds` of CPU time in batches of that size. Returns
 * [ops, wall ms, CPU ms]; rates are computed from CPU time.
 */
function timeIt(
  fn: () => number,
  seconds: number,
  onMeasureStart?: () => void,
): [number, number, number] {
  let batch = 1;
  const warmEnd = cpuNow() + (seconds * 1000) / 3;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) sink += fn();
    if (performance.now() - t0 < 10 && batch < 1 << 24) batch *= 2;
    if (cpuNow() >= warmEnd) break;
  }
  onMeasureStart?.();
  let ops = 0;
  const start = performance.now(), cpuStart = cpuNow();
  let cpu = 0;
  do {
    for (let i = 0; i < batch; i++) sink += fn();
    ops += batch;
    cpu = cpuNow() - cpuStart;
  } while (cpu < seconds * 1000);
  return [ops, performance.now() - start, cpu];
}

async function timeItAsync(
  fn: () => Promise<number>,
  seconds: number,
): Promise<[number, number, number]> {
  const warmEnd = cpuNow() + (seconds * 1000) / 3;
  while (cpuNow() < warmEnd) sink += await fn();
  let ops = 0;
  const start = performance.now(), cpuStart = cpuNow();
  let cpu = 0;
  do {
    for (let i = 0; i < 16; i++) sink += await fn();
    ops += 16;
    cpu = cpuNow() - cpuStart;
  } while (cpu < seconds * 1000);
  return [ops, performance.now() - start, cpu];
}

const RING = 64;

function benchCandidate(c: Candidate, seconds: number, log: (s: string) => void): Measure[] {
  const out: Measure[] = [];
  const record = (metric: string, bytes: number, fn: () => number, onStart?: () => void) => {
    const [ops, ms, cpuMs] = timeIt(fn, seconds, onStart);
    out.push({ candidate: c.name, metric, bytes, ops, ms, cpuMs });
    const rate = (ops / cpuMs) * 1000;
    log(
      `  ${c.name.padEnd(10)} ${metric.padEnd(14)} ${fmtRate(rate).padStart(10)} ops/s` +
        (bytes > 0 ? `  ${((rate * bytes) / 1e6).toFixed(1).padStart(8)} MB/s` : ""),
    );
  };
  const key = random(32);
  const variants: [string, boolean][] = [["", false]];
  if (c.sealInto !== undefined) variants.push(["_into", true]);

  for (const size of [64, 1024, 150]) {
    const label = size === 1024 ? "1k" : String(size);
    for (const [suffix, into] of variants) {
      if (size === 150 && into) continue; // handshake proxy: allocating API only
      const sealInto = c.sealInto?.bind(c), openInto = c.openInto?.bind(c);
      const msg = random(size);
      const scratch = new Uint8Array(size + 64);
      // seal: nonce = "CurveZMQMESSAGEC" ‖ u64 counter, counting up from 1
      const nonce = shortNonce("CurveZMQMESSAGEC", 0);
      const view = new DataView(nonce.buffer);
      let counter = 0;
      record(
        `seal${label}${suffix}`,
        size,
        into && sealInto !== undefined
          ? () => {
            view.setUint32(20, ++counter);
            return sealInto(msg, nonce, key, scratch)[0];
          }
          : () => {
            view.setUint32(20, ++counter);
            return c.seal(msg, nonce, key)[0];
          },
      );
      // open: a ring of boxes under consecutive nonces, each checked
      const nonces: Uint8Array[] = [], boxes: Uint8Array[] = [];
      for (let i = 0; i < RING; i++) {
        nonces.push(shortNonce("CurveZMQMESSAGES", i + 1));
        boxes.push(c.seal(msg, nonces[i], key).slice());
      }
      let i = 0;
      record(
        `open${label}${suffix}`,
        size,
        into && openInto !== undefined
          ? () => {
            const j = i++ & (RING - 1);
            const plain = openInto(boxes[j], nonces[j], key, scratch);
            if (plain === null) throw new Error(`${c.name}: open failed`);
            return plain[0];
          }
          : () => {
            const j = i++ & (RING - 1);
            const plain = c.open(boxes[j], nonces[j], key);
            if (plain === null) throw new Error(`${c.name}: open failed`);
            return plain[0];
          },
      );
    }
  }

  const sks = Array.from({ length: RING }, () => random(32));
  const pks = sks.map((sk) => c.scalarmultBase(sk));
  let k = 0;
  record("x25519", 0, () => {
    const j = k++ & (RING - 1);
    return c.scalarmult(sks[j], pks[(j + 1) & (RING - 1)])[0];
  });
  record("x25519_base", 0, () => c.scalarmultBase(sks[k++ & (RING - 1)])[0]);
  record("beforenm", 0, () => {
    const j = k++ & (RING - 1);
    return c.beforenm(pks[(j + 1) & (RING - 1)], sks[j])[0];
  });

  const hs = handshakeSim(c);
  record("handshake_sim", 0, hs.run, hs.reset);
  // Split the CPU time of the whole handshakes in the ratio of each side's wall-clock time.
  const whole = out[out.length - 1];
  const wall = hs.clientMs() + hs.serverMs();
  for (const [side, ms] of [["client", hs.clientMs()], ["server", hs.serverMs()]] as const) {
    out.push({
      candidate: c.name,
      metric: `handshake_sim_${side}`,
      bytes: 0,
      ops: hs.count(),
      ms,
      cpuMs: (whole.cpuMs * ms) / wall,
    });
  }
  return out;
}

/**
 * The crypto of one complete CURVE handshake, both sides in turn, with the real sizes and
 * nonces; every box is opened and its contents checked. Client and server time is split.
 */
function handshakeSim(c: Candidate): {
  run: () => number;
  reset: () => void;
  count: () => number;
  clientMs: () => number;
  serverMs: () => number;
} {
  const C = V.clientPublic, cSecret = V.clientSecret;
  const S = V.serverPublic, sSecret = V.serverSecret;
  const metaC = concat(property("Socket-Type", "DEALER"), property("Identity", ""));
  const metaS = concat(property("Socket-Type", "ROUTER"), property("Identity", ""));
  const zeros64 = new Uint8Array(64);
  let clientMs = 0, serverMs = 0, count = 0;
  const fail = (what: string): never => {
    throw new Error(`${c.name}: handshake: ${what}`);
  };
  const run = (): number => {
    // client: C′, HELLO
    let t = performance.now();
    const cT = random(32);
    const CT = c.scalarmultBase(cT);
    const kHelloC = c.beforenm(S, cT);
    const helloNonce = shortNonce("CurveZMQHELLO---", 1);
    const hello = c.seal(zeros64, helloNonce, kHelloC);
    let t2 = performance.now();
    clientMs += t2 - t;
    // server: open HELLO, S′, cookie, WELCOME
    t = t2;
    const kHelloS = c.beforenm(CT, sSecret);
    if (c.open(hello, helloNonce, kHelloS) === null) fail("HELLO");
    const sT = random(32);
    const ST = c.scalarmultBase(sT);
    const cookieKey = random(32);
    const nc = random(16);
    const cookieNonce = concat(ascii("COOKIE--"), nc);
    const cookie = concat(nc, c.seal(concat(CT, sT), cookieNonce, cookieKey));
    const welcomeNonce = concat(ascii("WELCOME-"), random(16));
    const welcome = c.seal(concat(ST, cookie), welcomeNonce, kHelloS);
    t2 = performance.now();
    serverMs += t2 - t;
    // client: open WELCOME, vouch, INITIATE
    t = t2;
    const w = c.open(welcome, welcomeNonce, kHelloC);
    if (w === null) fail("WELCOME");
    const ST_ = w!.subarray(0, 32);
    const kMsgC = c.beforenm(ST_, cT);
    const nv = random(16);
    const vouch = c.seal(concat(CT, S), concat(ascii("VOUCH---"), nv), c.beforenm(ST_, cSecret));
    const initNonce = shortNonce("CurveZMQINITIATE", 2);
    const initiate = c.seal(concat(C, nv, vouch, metaC), initNonce, kMsgC);
    const cookieEcho = w!.subarray(32, 128);
    t2 = performance.now();
    clientMs += t2 - t;
    // server: open cookie, INITIATE, vouch; READY
    t = t2;
    const ck = c.open(
      cookieEcho.subarray(16),
      concat(ascii("COOKIE--"), cookieEcho.subarray(0, 16)),
      cookieKey,
    );
    if (ck === null || !equal(ck.subarray(0, 32), CT)) fail("cookie");
    const kMsgS = c.beforenm(ck!.subarray(0, 32), ck!.subarray(32, 64));
    const init = c.open(initiate, initNonce, kMsgS);
    if (init === null) fail("INITIATE");
    const clientKey = init!.subarray(0, 32);
    const v = c.open(
      init!.subarray(48, 128),
      concat(ascii("VOUCH---"), init!.subarray(32, 48)),
      c.beforenm(clientKey, sT),
    );
    if (v === null || !equal(v.subarray(0, 32), CT)) fail("vouch");
    const readyNonce = shortNonce("CurveZMQREADY---", 1);
    const ready = c.seal(metaS, readyNonce, kMsgS);
    t2 = performance.now();
    serverMs += t2 - t;
    // client: open READY
    t = t2;
    const r = c.open(ready, readyNonce, kMsgC);
    if (r === null) fail("READY");
    clientMs += performance.now() - t;
    count++;
    return r![0];
  };
  return {
    run,
    reset: () => {
      clientMs = serverMs = count = 0;
    },
    count: () => count,
    clientMs: () => clientMs,
    serverMs: () => serverMs,
  };
}

// ---------------------------------------------------------------------------------------------
// WebCrypto X25519 (async, X25519 only)

function b64url(b: Uint8Array): string {
  return btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function webcryptoChecks(reference: Candidate | undefined): Promise<Check[]> {
  const name = WEBCRYPTO;
  try {
    const priv = await crypto.subtle.importKey(
      "jwk",
      { kty: "OKP", crv: "X25519", d: b64url(V.cT), x: b64url(V.CT) },
      { name: "X25519" },
      false,
      ["deriveBits"],
    );
    const pub = await crypto.subtle.importKey(
      "raw",
      V.serverPublic as BufferSource,
      { name: "X25519" },
      true,
      [],
    );
    const bits = new Uint8Array(
      await crypto.subtle.deriveBits(
        { name: "X25519", public: pub } as AlgorithmIdentifier,
        priv,
        256,
      ),
    );
    const checks: Check[] = [];
    if (reference !== undefined) {
      checks.push({
        candidate: name,
        name: `X25519(c′, S) equals ${reference.name}'s`,
        ok: equal(bits, reference.scalarmult(V.cT, V.serverPublic)),
      });
    }
    const pair = await crypto.subtle.generateKey({ name: "X25519" }, true, [
      "deriveBits",
    ]) as CryptoKeyPair;
    const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    checks.push({
      candidate: name,
      name: "generateKey + export raw public key",
      ok: raw.length === 32,
    });
    return checks;
  } catch (e) {
    return [{ candidate: name, name: "X25519 available", ok: false, detail: String(e) }];
  }
}

async function benchWebcrypto(seconds: number, log: (s: string) => void): Promise<Measure[]> {
  const out: Measure[] = [];
  const alg = { name: "X25519" };
  const peers: Uint8Array[] = [];
  for (let i = 0; i < RING; i++) {
    const p = await crypto.subtle.generateKey(alg, true, ["deriveBits"]) as CryptoKeyPair;
    peers.push(new Uint8Array(await crypto.subtle.exportKey("raw", p.publicKey)));
  }
  const mine = await crypto.subtle.generateKey(alg, false, ["deriveBits"]) as CryptoKeyPair;
  let k = 0;
  const rows: [string, () => Promise<number>][] = [
    ["x25519", async () => {
      // import the peer's raw key and derive, as a handshake would
      const pub = await crypto.subtle.importKey(
        "raw",
        peers[k++ & (RING - 1)] as BufferSource,
        alg,
        true,
        [],
      );
      const bits = await crypto.subtle.deriveBits(
        { name: "X25519", public: pub } as AlgorithmIdentifier,
        mine.privateKey,
        256,
      );
      return new Uint8Array(bits)[0];
    }],
    ["x25519_base", async () => {
      // a transient key pair, with its public key exported raw
      const p = await crypto.subtle.generateKey(alg, true, ["deriveBits"]) as CryptoKeyPair;
      return new Uint8Array(await crypto.subtle.exportKey("raw", p.publicKey))[0];
    }],
  ];
  for (const [metric, fn] of rows) {
    const [ops, ms, cpuMs] = await timeItAsync(fn, seconds);
    out.push({ candidate: WEBCRYPTO, metric, bytes: 0, ops, ms, cpuMs });
    log(
      `  ${WEBCRYPTO.padEnd(10)} ${metric.padEnd(14)} ${
        fmtRate((ops / ms) * 1000).padStart(10)
      } ops/s`,
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Records and the report

interface RunRecord {
  runtime: string;
  version: string;
  cpu: string;
  candidates: { name: string; packages: readonly string[]; notes: string }[];
  checks: Check[];
  measures: Measure[];
}

function runtimeInfo(): [string, string] {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  const versions = process.versions as Record<string, string | undefined>;
  if (g.Deno !== undefined) return ["deno", versions.deno ?? "?"];
  if (g.Bun !== undefined) return ["bun", versions.bun ?? "?"];
  return ["node", versions.node ?? "?"];
}

function fmtRate(r: number): string {
  if (r >= 1e6) return `${(r / 1e6).toFixed(2)} M`;
  if (r >= 1e3) return `${(r / 1e3).toFixed(1)} k`;
  return r.toFixed(0);
}

/** The rate of a measurement; the median when records of several runs are merged. */
function rateOf(ms: Measure[], cand: string, metric: string): number | undefined {
  const rates = ms.filter((x) => x.candidate === cand && x.metric === metric)
    .map((m) => (m.ops / (m.cpuMs ?? m.ms)) * 1000).sort((a, b) => a - b);
  if (rates.length === 0) return undefined;
  const mid = rates.length >> 1;
  return rates.length % 2 === 1 ? rates[mid] : (rates[mid - 1] + rates[mid]) / 2;
}

/** Markdown tables from one or more records (any mix of runtimes and candidates). */
function report(records: readonly RunRecord[]): string {
  const lines: string[] = [];
  const runtimes = [...new Set(records.map((r) => `${r.runtime} ${r.version}`))];
  const byRuntime = (rt: string) => records.filter((r) => `${r.runtime} ${r.version}` === rt);
  const cpu = records[0]?.cpu ?? "?";
  lines.push(
    `CPU: ${cpu}. Rates are per second of this process's CPU time (user + system, all ` +
      "threads), not wall-clock time. k = 10^3 operations/s; MB/s = 10^6 plaintext bytes/s.",
    "",
  );

  lines.push("### MESSAGE: seal / open with a precomputed key", "");
  lines.push("| runtime | candidate | API | seal 64 B | open 64 B | seal 1 KiB | open 1 KiB |");
  lines.push("|---|---|---|---|---|---|---|");
  for (const rt of runtimes) {
    const ms = byRuntime(rt).flatMap((r) => r.measures);
    const cands = [...new Set(ms.map((m) => m.candidate))].filter((c) => c !== WEBCRYPTO);
    for (const cand of cands) {
      for (const [suffix, api] of [["", "alloc"], ["_into", "into"]]) {
        const cell = (metric: string, bytes: number): string => {
          const r = rateOf(ms, cand, metric + suffix);
          return r === undefined ? "–" : `${fmtRate(r)} · ${((r * bytes) / 1e6).toFixed(1)} MB/s`;
        };
        if (rateOf(ms, cand, `seal64${suffix}`) === undefined) continue;
        lines.push(
          `| ${rt} | ${cand} | ${api} | ${cell("seal64", 64)} | ${cell("open64", 64)} | ` +
            `${cell("seal1k", 1024)} | ${cell("open1k", 1024)} |`,
        );
      }
    }
  }
  lines.push("");

  lines.push("### Handshake", "");
  lines.push(
    "Estimate: client = 1 keygen + 3 beforenm + 3 seal + 2 open, server = 1 keygen + " +
      "3 beforenm + 3 seal + 4 open, each seal/open priced at 150 B. Simulation: one whole " +
      "handshake, both sides in one thread (real sizes, every box checked).",
    "",
  );
  lines.push(
    "| runtime | candidate | X25519/s | keygen/s | beforenm/s | seal 150 B | open 150 B | " +
      "est. client hs/s | est. server hs/s | sim. client hs/s | sim. server hs/s | sim. both hs/s |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const rt of runtimes) {
    const ms = byRuntime(rt).flatMap((r) => r.measures);
    const cands = [...new Set(ms.map((m) => m.candidate))];
    for (const cand of cands) {
      const g = (m: string) => rateOf(ms, cand, m);
      const f = (r: number | undefined) => (r === undefined ? "–" : fmtRate(r));
      const x = g("x25519"), base = g("x25519_base"), bn = g("beforenm");
      const s = g("seal150"), o = g("open150");
      let estC: number | undefined, estS: number | undefined;
      if (base !== undefined && bn !== undefined && s !== undefined && o !== undefined) {
        estC = 1 / (1 / base + 3 / bn + 3 / s + 2 / o);
        estS = 1 / (1 / base + 3 / bn + 3 / s + 4 / o);
      }
      lines.push(
        `| ${rt} | ${cand} | ${f(x)} | ${f(base)} | ${f(bn)} | ${f(s)} | ${f(o)} | ${f(estC)} | ` +
          `${f(estS)} | ${f(g("handshake_sim_client"))} | ${f(g("handshake_sim_server"))} | ` +
          `${f(g("handshake_sim"))} |`,
      );
    }
  }
  lines.push("");

  lines.push("### Correctness (zmtp-digest §7 transcript; cross-library boxes)", "");
  lines.push("| runtime | candidate | passed | failed |");
  lines.push("|---|---|---|---|");
  const failures: string[] = [];
  for (const rt of runtimes) {
    const checks = byRuntime(rt).flatMap((r) => r.checks);
    const seen = new Map<string, [number, number]>();
    const dedup = new Set<string>();
    for (const ch of checks) {
      const id = `${ch.candidate}|${ch.name}`;
      if (dedup.has(id)) continue;
      dedup.add(id);
      const [p, f] = seen.get(ch.candidate) ?? [0, 0];
      seen.set(ch.candidate, ch.ok ? [p + 1, f] : [p, f + 1]);
      if (!ch.ok) failures.push(`- ${rt} ${ch.candidate}: ${ch.name}: ${ch.detail ?? "failed"}`);
    }
    for (const [cand, [p, f]] of seen) lines.push(`| ${rt} | ${cand} | ${p} | ${f} |`);
  }
  lines.push("", ...(failures.length > 0 ? ["Failures:", ...failures, ""] : []));

  const pk = new Map<string, string>();
  for (const r of records) {
    for (const c of r.candidates) {
      pk.set(c.name, `- **${c.name}** (${c.packages.join(", ")}): ${c.notes}`);
    }
  }
  lines.push("### Candidates", "", ...pk.values(), "");
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Main

function parseArgs(argv: readonly string[]): Map<string, string | true> & { rest: string[] } {
  const opts = new Map<string, string | true>() as Map<string, string | true> & { rest: string[] };
  opts.rest = [];
  for (const a of argv) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (m === null) opts.rest.push(a);
    else opts.set(m[1], m[2] ?? true);
  }
  return opts;
}

async function runHere(opts: Map<string, string | true>): Promise<RunRecord> {
  const dir = String(opts.get("dir") ?? process.env.CRYPTO_CANDIDATES_DIR ?? "");
  if (dir === "" || !existsSync(join(dir, "node_modules"))) {
    throw new Error(
      `--dir (or CRYPTO_CANDIDATES_DIR) must name a directory with node_modules/: "${dir}"`,
    );
  }
  const only = typeof opts.get("only") === "string" ? String(opts.get("only")).split(",") : ALL;
  for (const name of only) {
    if (!ALL.includes(name)) {
      throw new RangeError(`unknown candidate "${name}": expected ${ALL.join(", ")}`);
    }
  }
  const seconds = Number(opts.get("seconds") ?? 1);
  const bench = !opts.has("no-bench");
  const [runtime, version] = runtimeInfo();
  const log = (s: string) => console.error(s);
  log(`# ${runtime} ${version}: ${only.join(", ")}`);

  const cands: Candidate[] = [];
  const checks: Check[] = [];
  for (const name of only) {
    if (name === WEBCRYPTO) continue;
    try {
      cands.push(await LOADERS[name](dir));
    } catch (e) {
      checks.push({ candidate: name, name: "loads", ok: false, detail: String(e) });
    }
  }
  for (const c of cands) checks.push(...transcriptChecks(c));
  checks.push(...crossChecks(cands));
  if (only.includes(WEBCRYPTO)) checks.push(...(await webcryptoChecks(cands[0])));
  for (const ch of checks) {
    if (!ch.ok) log(`  FAIL ${ch.candidate}: ${ch.name}: ${ch.detail ?? ""}`);
  }
  log(
    `  checks: ${checks.filter((c) => c.ok).length} passed, ${
      checks.filter((c) => !c.ok).length
    } failed`,
  );

  const measures: Measure[] = [];
  if (bench) {
    for (const c of cands) measures.push(...benchCandidate(c, seconds, log));
    if (only.includes(WEBCRYPTO) && checks.some((c) => c.candidate === WEBCRYPTO && c.ok)) {
      measures.push(...(await benchWebcrypto(seconds, log)));
    }
  }
  if (sink === 0.5) log(""); // keep results observable
  return {
    runtime,
    version,
    cpu: `${cpus()[0]?.model ?? "?"} × ${cpus().length}`,
    candidates: cands.map((c) => ({ name: c.name, packages: c.packages, notes: c.notes })),
    checks,
    measures,
  };
}

/** Runs every runtime × candidate in a fresh process (one more per runtime for the checks). */
function spawnAll(opts: Map<string, string | true>): RunRecord[] {
  const self = fileURLToPath(import.meta.url);
  const bin = join(fileURLToPath(new URL("..", import.meta.url)), "node_modules", ".bin");
  const runtimes = typeof opts.get("runtimes") === "string"
    ? String(opts.get("runtimes")).split(",")
    : ["node", "deno", "bun"];
  const only = typeof opts.get("only") === "string" ? String(opts.get("only")).split(",") : ALL;
  const pass: string[] = [];
  for (const key of ["dir", "seconds"]) {
    const v = opts.get(key);
    if (typeof v === "string") pass.push(`--${key}=${v}`);
  }
  const tmp = mkdtempSync(join(tmpdir(), "crypto-candidates-"));
  const records: RunRecord[] = [];
  try {
    for (const rt of runtimes) {
      const cmd: [string, string[]] = rt === "deno"
        ? [join(bin, "deno"), ["run", "-A", self]]
        : [join(bin, rt), [self]];
      const jobs = [
        [`--only=${only.join(",")}`, "--no-bench"],
        ...only.map((c) => [`--only=${c}`]),
      ];
      for (const job of jobs) {
        const file = join(tmp, `${rt}-${records.length}.json`);
        execFileSync(cmd[0], [...cmd[1], ...pass, ...job, `--out=${file}`], {
          stdio: ["ignore", "ignore", "inherit"],
          env: { ...process.env, NO_COLOR: "1" },
        });
        const rec = JSON.parse(readFileSync(file, "utf8")) as RunRecord;
        if (!job.includes("--no-bench")) rec.checks = []; // the all-candidates run has them
        records.push(rec);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return records;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.has("report")) {
    const records = opts.rest.flatMap((f) => {
      const data = JSON.parse(readFileSync(f, "utf8")) as RunRecord | RunRecord[];
      return Array.isArray(data) ? data : [data];
    });
    console.log(report(records));
    return;
  }
  const records = opts.has("spawn") ? spawnAll(opts) : [await runHere(opts)];
  const out = opts.get("out");
  if (typeof out === "string") {
    writeFileSync(out, JSON.stringify(records.length === 1 ? records[0] : records, null, 1));
  }
  const md = report(records);
  const mdFile = opts.get("md");
  if (typeof mdFile === "string") writeFileSync(mdFile, md);
  console.log(md);
  const failed = records.flatMap((r) => r.checks).filter((c) => !c.ok).length;
  if (failed > 0) process.exitCode = 1;
}

if (import.meta.main) await main();
