import { ascii, bytesEqual, concatBytes } from "../core/bytes.ts";
import { protocolError, ZmqError } from "../core/errors.ts";
import { commandBody } from "./commands.ts";
import type { CurveCrypto } from "./curve_crypto.ts";
import { COMMAND, MORE } from "./frame.ts";
import type { HandshakeHost, HandshakeStep, Mechanism, TrafficCodec } from "./mechanism.ts";
import { Metadata } from "./metadata.ts";

/** The CURVE role of one side, with its long-term keys (32 bytes each). */
export type CurveRole =
  | {
    readonly server: false;
    /** The server's public key (S). */
    readonly serverKey: Uint8Array;
    /** Our public key (C). */
    readonly publicKey: Uint8Array;
    /** Our secret key (c). */
    readonly secretKey: Uint8Array;
  }
  | {
    readonly server: true;
    /** Our secret key (s); the public key is derived from it. */
    readonly secretKey: Uint8Array;
  };

/** Fixed inputs for reproducing a transcript in tests; never set otherwise. */
export interface CurveTestInputs {
  /** Our transient secret key (c′ or s′). */
  readonly transientSecret?: Uint8Array;
  /** The server's cookie key K. */
  readonly cookieKey?: Uint8Array;
  /** The long nonces: WELCOME (N_w), cookie (N_c), vouch (N_v), 16 bytes each. */
  readonly welcomeNonce?: Uint8Array;
  readonly cookieNonce?: Uint8Array;
  readonly vouchNonce?: Uint8Array;
}

const HELLO_PREFIX = ascii("CurveZMQHELLO---");
const WELCOME_PREFIX = ascii("WELCOME-");
const COOKIE_PREFIX = ascii("COOKIE--");
const INITIATE_PREFIX = ascii("CurveZMQINITIATE");
const VOUCH_PREFIX = ascii("VOUCH---");
const READY_PREFIX = ascii("CurveZMQREADY---");
const MESSAGE_FROM_CLIENT = ascii("CurveZMQMESSAGEC");
const MESSAGE_FROM_SERVER = ascii("CurveZMQMESSAGES");
const MESSAGE_NAME = ascii("\x07MESSAGE");
/** The inner flag libzmq uses for a command carried in a MESSAGE (the RFC reserves the bit). */
const INNER_COMMAND = 0x02;

const AWAIT_HELLO = 0;
const AWAIT_WELCOME = 1;
const AWAIT_INITIATE = 2;
const AWAIT_READY = 3;
const DONE = 4;

/**
 * The CURVE mechanism (RFC 25 over CurveZMQ, RFC 26), as libzmq speaks it:
 * HELLO, WELCOME with a cookie, INITIATE with the client's vouch, READY, and
 * then every frame of either side wrapped in an encrypted MESSAGE whose
 * short nonces must strictly increase. A cookie key lives for one WELCOME.
 *
 * @example
 * ```ts
 * const client = new CurveMechanism(crypto, { server: false, serverKey, publicKey, secretKey });
 * const server = new CurveMechanism(crypto, { server: true, secretKey: serverSecret });
 * ```
 */
export class CurveMechanism implements Mechanism, TrafficCodec {
  /** Always `CURVE`. */
  readonly name = "CURVE" as const;
  readonly #crypto: CurveCrypto;
  readonly #role: CurveRole;
  readonly #test: CurveTestInputs;
  readonly #transientSecret: Uint8Array;
  readonly #transientPublic: Uint8Array;
  #state: number;
  #peerMetadata: Metadata | undefined;
  /** The peer's transient public key (C′ on the server, S′ on the client). */
  #peerTransient: Uint8Array | undefined;
  /** The client's long-term public key, as the server learns it from INITIATE. */
  #clientKey: Uint8Array | undefined;
  /** Precomputed key between the transient keys, for INITIATE, READY and MESSAGE. */
  #sessionKey: Uint8Array | undefined;
  #cookieKey: Uint8Array | undefined;
  /** Our next short nonce, a counter from 1 (2^53 messages are out of reach). */
  #nextNonce = 1;
  #peerNonceHigh = 0;
  #peerNonceLow = 0;
  readonly #peerNonce = new Uint8Array(24);
  #pendingMetadata: Metadata | undefined;
  readonly #nonce = new Uint8Array(24);

  /**
   * @param crypto the NaCl primitives.
   * @param role our keys and whether we are the server.
   * @param test fixed inputs that reproduce a transcript (tests only).
   */
  constructor(crypto: CurveCrypto, role: CurveRole, test: CurveTestInputs = {}) {
    this.#crypto = crypto;
    this.#role = role;
    this.#test = test;
    for (const [what, key] of Object.entries(role)) {
      if (key instanceof Uint8Array && key.length !== 32) {
        throw new RangeError(`CURVE ${what} must be 32 bytes, got ${key.length}`);
      }
    }
    this.#transientSecret = test.transientSecret ?? crypto.randomBytes(32);
    this.#transientPublic = crypto.publicKey(this.#transientSecret);
    this.#state = role.server ? AWAIT_HELLO : AWAIT_WELCOME;
  }

  /** Whether we are the CURVE server. */
  get asServer(): boolean {
    return this.#role.server;
  }

  /** The peer's metadata, once the handshake is done. */
  get peerMetadata(): Metadata | undefined {
    return this.#peerMetadata;
  }

  /** The client's long-term public key, known to the server after INITIATE. */
  get clientKey(): Uint8Array | undefined {
    return this.#clientKey;
  }

  /** After the handshake, every frame travels in a MESSAGE. */
  get traffic(): TrafficCodec | undefined {
    return this.#state === DONE ? this : undefined;
  }

  /** The client opens with HELLO. */
  start(host: HandshakeHost): void {
    const role = this.#role;
    if (role.server) return;
    const crypto = this.#crypto;
    const nonce = this.#shortNonce(HELLO_PREFIX);
    const box = crypto.seal(
      crypto.sharedKey(role.serverKey, this.#transientSecret),
      nonce,
      new Uint8Array(64),
    );
    const data = new Uint8Array(194);
    data[0] = 1; // version 1.0
    data.set(this.#transientPublic, 74);
    data.set(nonce.subarray(16), 106);
    data.set(box, 114);
    host.sendCommand(commandBody("HELLO", data));
  }

  /** One handshake command, in CurveZMQ's order. */
  command(host: HandshakeHost, name: string, body: Uint8Array): HandshakeStep {
    switch (this.#state) {
      case AWAIT_HELLO:
        return name === "HELLO" ? this.#hello(host, body) : unexpected(name, "HELLO");
      case AWAIT_WELCOME:
        return name === "WELCOME" ? this.#welcome(host, body) : unexpected(name, "WELCOME");
      case AWAIT_INITIATE:
        return name === "INITIATE" ? this.#initiate(host, body) : unexpected(name, "INITIATE");
      case AWAIT_READY:
        return name === "READY" ? this.#ready(body) : unexpected(name, "READY");
      default:
        return unexpected(name, "nothing");
    }
  }

  /** The authenticator accepted the client's key: READY goes out. */
  authenticated(host: HandshakeHost): HandshakeStep {
    return this.#sendReady(host);
  }

  /**
   * Wraps one frame in a MESSAGE, sent as a data frame (libzmq sends MESSAGE
   * with outer flags 0); the sealed frame is the only allocation.
   */
  wrap(flags: number, body: Uint8Array): Uint8Array {
    const inner = ((flags & MORE) !== 0 ? 1 : 0) | ((flags & COMMAND) !== 0 ? INNER_COMMAND : 0);
    const nonce = this.#shortNonce(this.#role.server ? MESSAGE_FROM_SERVER : MESSAGE_FROM_CLIENT);
    const message = this.#crypto.sealAfterHeader(this.#sessionKey!, nonce, inner, body, 16);
    message.set(MESSAGE_NAME, 0);
    message.set(nonce.subarray(16), 8);
    return message;
  }

  /**
   * Opens one MESSAGE (with or without the outer COMMAND bit, as libzmq
   * accepts): the inner flags byte, then the frame.
   */
  unwrap(body: Uint8Array): Uint8Array | ZmqError {
    if (body.length < 33 || !bytesEqual(body.subarray(0, 8), MESSAGE_NAME)) {
      return protocolError("CURVE traffic must be MESSAGE commands of at least 33 bytes");
    }
    const nonce = this.#peerNonceBytes(
      this.#role.server ? MESSAGE_FROM_CLIENT : MESSAGE_FROM_SERVER,
      body.subarray(8, 16),
    );
    if (nonce instanceof ZmqError) return nonce;
    const plaintext = this.#crypto.open(this.#sessionKey!, nonce, body.subarray(16));
    if (plaintext === undefined) return protocolError("CURVE MESSAGE failed to authenticate");
    return plaintext;
  }

  #hello(host: HandshakeHost, body: Uint8Array): HandshakeStep {
    const role = this.#role;
    if (!role.server) return unexpected("HELLO", "WELCOME");
    if (body.length !== 200 || body[6] !== 1 || body[7] !== 0) {
      return protocolError(
        `malformed CURVE HELLO (${body.length} bytes, version ${body[6]}.${body[7]})`,
      );
    }
    const crypto = this.#crypto;
    const clientTransient = body.slice(80, 112);
    const nonce = this.#peerNonceBytes(HELLO_PREFIX, body.subarray(112, 120));
    if (nonce instanceof ZmqError) return nonce;
    const helloKey = peerSharedKey(crypto, clientTransient, role.secretKey);
    const opened = helloKey === undefined
      ? undefined
      : crypto.open(helloKey, nonce, body.subarray(120, 200));
    if (opened === undefined) {
      return protocolError("CURVE HELLO does not open with our key: wrong server key?");
    }
    this.#peerTransient = clientTransient;
    // The cookie keeps C′ and s′ for us, sealed with a key that lives for this WELCOME only.
    const cookieKey = this.#test.cookieKey ?? crypto.randomBytes(32);
    const cookieNonce = this.#test.cookieNonce ?? crypto.randomBytes(16);
    const cookie = concatBytes([
      cookieNonce,
      crypto.seal(
        cookieKey,
        concatBytes([COOKIE_PREFIX, cookieNonce]),
        concatBytes([clientTransient, this.#transientSecret]),
      ),
    ]);
    this.#cookieKey = cookieKey;
    const welcomeNonce = this.#test.welcomeNonce ?? crypto.randomBytes(16);
    const box = crypto.seal(
      helloKey!,
      concatBytes([WELCOME_PREFIX, welcomeNonce]),
      concatBytes([this.#transientPublic, cookie]),
    );
    host.sendCommand(commandBody("WELCOME", concatBytes([welcomeNonce, box])));
    this.#state = AWAIT_INITIATE;
    return "continue";
  }

  #welcome(host: HandshakeHost, body: Uint8Array): HandshakeStep {
    const role = this.#role;
    if (role.server) return unexpected("WELCOME", "HELLO");
    if (body.length !== 168) {
      return protocolError(`malformed CURVE WELCOME of ${body.length} bytes`);
    }
    const crypto = this.#crypto;
    const opened = crypto.open(
      crypto.sharedKey(role.serverKey, this.#transientSecret),
      concatBytes([WELCOME_PREFIX, body.subarray(8, 24)]),
      body.subarray(24),
    );
    if (opened === undefined) {
      return protocolError("CURVE WELCOME does not open: wrong server key?");
    }
    const serverTransient = opened.slice(0, 32);
    const cookie = opened.slice(32, 128);
    const sessionKey = peerSharedKey(crypto, serverTransient, this.#transientSecret);
    const vouchKey = peerSharedKey(crypto, serverTransient, role.secretKey);
    if (sessionKey === undefined || vouchKey === undefined) {
      return protocolError("CURVE WELCOME carries a transient key of small order");
    }
    this.#peerTransient = serverTransient;
    this.#sessionKey = sessionKey;
    const vouchNonce = this.#test.vouchNonce ?? crypto.randomBytes(16);
    const vouch = crypto.seal(
      vouchKey,
      concatBytes([VOUCH_PREFIX, vouchNonce]),
      concatBytes([this.#transientPublic, role.serverKey]),
    );
    const nonce = this.#shortNonce(INITIATE_PREFIX);
    const box = crypto.seal(
      this.#sessionKey,
      nonce,
      concatBytes([role.publicKey, vouchNonce, vouch, host.localMetadata.encode()]),
    );
    host.sendCommand(commandBody("INITIATE", concatBytes([cookie, nonce.subarray(16), box])));
    this.#state = AWAIT_READY;
    return "continue";
  }

  #initiate(host: HandshakeHost, body: Uint8Array): HandshakeStep {
    if (body.length < 257) return protocolError(`malformed CURVE INITIATE of ${body.length} bytes`);
    const crypto = this.#crypto;
    const cookieKey = this.#cookieKey!;
    // The cookie key is forgotten now: a replayed INITIATE cannot be opened again.
    this.#cookieKey = undefined;
    const cookie = crypto.open(
      cookieKey,
      concatBytes([COOKIE_PREFIX, body.subarray(9, 25)]),
      body.subarray(25, 105),
    );
    if (
      cookie === undefined || !bytesEqual(cookie.subarray(0, 32), this.#peerTransient!) ||
      !bytesEqual(cookie.subarray(32, 64), this.#transientSecret)
    ) {
      return protocolError("CURVE INITIATE carries a cookie that is not ours");
    }
    const nonce = this.#peerNonceBytes(INITIATE_PREFIX, body.subarray(105, 113));
    if (nonce instanceof ZmqError) return nonce;
    this.#sessionKey = crypto.sharedKey(this.#peerTransient!, this.#transientSecret);
    const opened = crypto.open(this.#sessionKey, nonce, body.subarray(113));
    if (opened === undefined) return protocolError("CURVE INITIATE does not open");
    const clientKey = opened.slice(0, 32);
    const vouchKey = peerSharedKey(crypto, clientKey, this.#transientSecret);
    const vouch = vouchKey === undefined ? undefined : crypto.open(
      vouchKey,
      concatBytes([VOUCH_PREFIX, opened.subarray(32, 48)]),
      opened.subarray(48, 128),
    );
    if (vouch === undefined || !bytesEqual(vouch.subarray(0, 32), this.#peerTransient!)) {
      return protocolError("CURVE INITIATE carries a vouch that does not match the client's keys");
    }
    const metadata = Metadata.parse(opened, 128);
    if (!(metadata instanceof Metadata)) return metadata;
    this.#clientKey = clientKey;
    this.#pendingMetadata = metadata;
    host.authenticate([clientKey]);
    return "pending";
  }

  #sendReady(host: HandshakeHost): HandshakeStep {
    const nonce = this.#shortNonce(READY_PREFIX);
    const box = this.#crypto.seal(this.#sessionKey!, nonce, host.localMetadata.encode());
    host.sendCommand(commandBody("READY", concatBytes([nonce.subarray(16), box])));
    this.#peerMetadata = this.#pendingMetadata;
    this.#state = DONE;
    return "ready";
  }

  #ready(body: Uint8Array): HandshakeStep {
    if (body.length < 30) return protocolError(`malformed CURVE READY of ${body.length} bytes`);
    const nonce = this.#peerNonceBytes(READY_PREFIX, body.subarray(6, 14));
    if (nonce instanceof ZmqError) return nonce;
    const opened = this.#crypto.open(this.#sessionKey!, nonce, body.subarray(14));
    if (opened === undefined) return protocolError("CURVE READY does not open");
    const metadata = Metadata.parse(opened, 0);
    if (!(metadata instanceof Metadata)) return metadata;
    this.#peerMetadata = metadata;
    this.#state = DONE;
    return "ready";
  }

  /** Our next short nonce after `prefix`; the 24-byte buffer is reused and must be consumed at once. */
  #shortNonce(prefix: Uint8Array): Uint8Array {
    const nonce = this.#nonce;
    nonce.set(prefix, 0);
    const value = this.#nextNonce++;
    const high = Math.floor(value / 0x100000000);
    nonce[16] = high >>> 24;
    nonce[17] = (high >>> 16) & 0xff;
    nonce[18] = (high >>> 8) & 0xff;
    nonce[19] = high & 0xff;
    nonce[20] = value >>> 24;
    nonce[21] = (value >>> 16) & 0xff;
    nonce[22] = (value >>> 8) & 0xff;
    nonce[23] = value & 0xff;
    return nonce;
  }

  /** The peer's nonce after `prefix`, refused unless strictly above the last one seen. */
  #peerNonceBytes(prefix: Uint8Array, short: Uint8Array): Uint8Array | ZmqError {
    const high = ((short[0] << 24) | (short[1] << 16) | (short[2] << 8) | short[3]) >>> 0;
    const low = ((short[4] << 24) | (short[5] << 16) | (short[6] << 8) | short[7]) >>> 0;
    if (high < this.#peerNonceHigh || (high === this.#peerNonceHigh && low <= this.#peerNonceLow)) {
      return protocolError(
        `CURVE nonce ${high * 0x100000000 + low} is not above the last one, ` +
          `${this.#peerNonceHigh * 0x100000000 + this.#peerNonceLow}: replayed or reordered`,
      );
    }
    this.#peerNonceHigh = high;
    this.#peerNonceLow = low;
    // Reused: every nonce is handed to the crypto at once, which copies it.
    const nonce = this.#peerNonce;
    nonce.set(prefix, 0);
    nonce.set(short, 16);
    return nonce;
  }
}

/**
 * The shared key with a public key the peer chose, or undefined for one that
 * yields none (a point of small order, such as all zeros): libsodium refuses
 * it by throwing, and libzmq treats it as a box that does not open.
 */
function peerSharedKey(
  crypto: CurveCrypto,
  publicKey: Uint8Array,
  secretKey: Uint8Array,
): Uint8Array | undefined {
  try {
    return crypto.sharedKey(publicKey, secretKey);
  } catch {
    return undefined;
  }
}

function unexpected(name: string, expected: string): HandshakeStep {
  return protocolError(
    `unexpected ${JSON.stringify(name)} command during the CURVE handshake (expected ${expected})`,
  );
}
