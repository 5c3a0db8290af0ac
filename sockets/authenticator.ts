import { fromUtf8, utf8 } from "../core/bytes.ts";
import { z85Encode } from "../core/z85.ts";
import type { MechanismName } from "../zmtp/greeting.ts";
import { Metadata } from "../zmtp/metadata.ts";
import { Router } from "./router.ts";
import { type CurveKey, curveKey } from "./security.ts";
import { ZAP_ENDPOINT } from "./zap_client.ts";

/** A peer being authenticated, as the ZAP request describes it. */
export interface AuthRequest {
  /** The server socket's ZAP domain. */
  readonly domain: string;
  /** The peer's IP address (or ipc path). */
  readonly address: string;
  /** The mechanism in use. */
  readonly mechanism: MechanismName;
  /** PLAIN: the username. */
  readonly username?: string;
  /** PLAIN: the password. */
  readonly password?: string;
  /** CURVE: the client's public key, in Z85. */
  readonly publicKey?: string;
}

/** An answer: true/false, or a ZAP status with the user id and properties to attach. */
export type AuthDecision = boolean | {
  /** 200 accepts; 300 is a temporary failure (the client retries); 400 refuses; 500 is an internal error. */
  readonly status: 200 | 300 | 400 | 500;
  /** Free text for logs. */
  readonly statusText?: string;
  /** The user id, reported to the application as the peer's `User-Id` property. */
  readonly userId?: string;
  /** Properties attached to the peer (names should start with `X-`). */
  readonly metadata?: Readonly<Record<string, string | Uint8Array>>;
};

/** The rules of a built-in authenticator, checked in this order. */
export interface AuthenticatorOptions {
  /** Peer addresses refused outright. */
  deny?: readonly string[];
  /** When given, only these peer addresses are accepted. */
  allow?: readonly string[];
  /** A decision of your own; when given, it alone decides after the address rules. */
  authenticate?: (request: AuthRequest) => AuthDecision | Promise<AuthDecision>;
  /** PLAIN: username → password. Without it, PLAIN clients are refused. */
  passwords?: Readonly<Record<string, string>>;
  /** CURVE: the client public keys accepted. Without it, any CURVE client with a valid handshake is. */
  curveKeys?: readonly CurveKey[];
}

/**
 * A ZAP handler (RFC 27) for the common cases: it binds a Router at
 * `inproc://zeromq.zap.01`, as a libzmq handler would, and answers every
 * server socket of this process by address lists, a PLAIN password table,
 * CURVE public keys, or a function of your own.
 *
 * @example
 * ```ts
 * const auth = new Authenticator({ passwords: { admin: "secret" } });
 * await auth.start();
 * const server = new Router({ plainServer: true });
 * // ...
 * auth.close();
 * ```
 */
export class Authenticator {
  readonly #options: AuthenticatorOptions;
  readonly #curveKeys: Set<string> | undefined;
  #router: Router | undefined;

  /**
   * An authenticator with these rules; it answers nothing before `start()`.
   * @param options the rules.
   */
  constructor(options: AuthenticatorOptions = {}) {
    this.#options = options;
    this.#curveKeys = options.curveKeys === undefined
      ? undefined
      : new Set(options.curveKeys.map((key) => z85Encode(curveKey("curveKeys", key))));
  }

  /** Binds the handler; rejects with EADDRINUSE when another handler is bound. */
  async start(): Promise<void> {
    const router = new Router({ linger: 0 });
    await router.bind(ZAP_ENDPOINT).catch((error) => {
      router.close();
      throw error;
    });
    this.#router = router;
    void this.#serve(router);
  }

  /** Unbinds the handler. */
  close(): void {
    this.#router?.close();
    this.#router = undefined;
  }

  /** Closes at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  async #serve(router: Router): Promise<void> {
    for await (const request of router) {
      // Each request is answered on its own, so a slow decision delays only its own handshake.
      void this.#answer(router, request);
    }
  }

  async #answer(router: Router, frames: Uint8Array[]): Promise<void> {
    const [id, delimiter, version, requestId, ...rest] = frames;
    if (delimiter === undefined || version === undefined || rest.length < 4) return;
    const [domain, address, _identity, mechanism, ...credentials] = rest;
    const request: AuthRequest = {
      domain: fromUtf8(domain),
      address: fromUtf8(address),
      mechanism: fromUtf8(mechanism) as MechanismName,
      ...credentialsOf(fromUtf8(mechanism), credentials),
    };
    let decision: AuthDecision;
    try {
      decision = await this.#decide(request);
    } catch (error) {
      decision = { status: 500, statusText: String(error) };
    }
    const answer = typeof decision === "boolean"
      ? { status: decision ? 200 : 400 } as const
      : decision;
    const metadata = new Metadata(
      Object.entries(answer.metadata ?? {}).map((
        [name, value],
      ) => [name, typeof value === "string" ? utf8(value) : value]),
    );
    await router.send([
      id,
      new Uint8Array(0),
      version,
      requestId,
      String(answer.status),
      answer.statusText ?? (answer.status === 200 ? "OK" : "refused"),
      answer.userId ?? "",
      metadata.encode(),
    ]).catch(() => {});
  }

  #decide(request: AuthRequest): AuthDecision | Promise<AuthDecision> {
    const options = this.#options;
    if (options.deny?.includes(request.address)) {
      return { status: 400, statusText: "address denied" };
    }
    if (options.allow !== undefined && !options.allow.includes(request.address)) {
      return { status: 400, statusText: "address not allowed" };
    }
    if (options.authenticate !== undefined) return options.authenticate(request);
    switch (request.mechanism) {
      case "PLAIN": {
        const expected = options.passwords?.[request.username ?? ""];
        const ok = expected !== undefined && expected === request.password;
        return ok
          ? { status: 200, userId: request.username }
          : { status: 400, statusText: "bad credentials" };
      }
      case "CURVE":
        if (this.#curveKeys === undefined || this.#curveKeys.has(request.publicKey!)) {
          return { status: 200, userId: request.publicKey };
        }
        return { status: 400, statusText: "unknown client key" };
      default:
        return true;
    }
  }
}

function credentialsOf(mechanism: string, credentials: Uint8Array[]): Partial<AuthRequest> {
  if (mechanism === "PLAIN" && credentials.length === 2) {
    return { username: fromUtf8(credentials[0]), password: fromUtf8(credentials[1]) };
  }
  if (mechanism === "CURVE" && credentials.length === 1 && credentials[0].length === 32) {
    return { publicKey: z85Encode(new Uint8Array(credentials[0])) };
  }
  return {};
}
