import { protocolError } from "../core/errors.ts";
import { commandBody, commandDataOffset } from "./commands.ts";
import type { HandshakeHost, HandshakeStep, Mechanism, TrafficCodec } from "./mechanism.ts";
import { Metadata } from "./metadata.ts";

/** The PLAIN role of one side: a client with credentials, or a server. */
export type PlainRole =
  | { readonly server: false; readonly username: Uint8Array; readonly password: Uint8Array }
  | { readonly server: true };

const AWAIT_HELLO = 0;
const AWAIT_WELCOME = 1;
const AWAIT_INITIATE = 2;
const AWAIT_READY = 3;
const DONE = 4;

/**
 * The PLAIN mechanism (RFC 24): the client sends a username and password in
 * clear text (HELLO), the server has them checked by the authenticator and
 * answers WELCOME, then the client's INITIATE and the server's READY carry
 * the metadata. Commands are checked exactly as libzmq checks them.
 *
 * @example
 * ```ts
 * const client = new PlainMechanism({ server: false, username: utf8("admin"), password: utf8("secret") });
 * const server = new PlainMechanism({ server: true });
 * ```
 */
export class PlainMechanism implements Mechanism {
  /** Always `PLAIN`. */
  readonly name = "PLAIN" as const;
  /** PLAIN never wraps traffic. */
  readonly traffic: TrafficCodec | undefined = undefined;
  readonly #role: PlainRole;
  #state: number;
  #peerMetadata: Metadata | undefined;

  /** @param role client credentials, or the server role. */
  constructor(role: PlainRole) {
    if (!role.server) {
      for (
        const [what, value] of [["username", role.username], ["password", role.password]] as const
      ) {
        if (value.length > 255) {
          throw new RangeError(`PLAIN ${what} must be at most 255 bytes, got ${value.length}`);
        }
      }
    }
    this.#role = role;
    this.#state = role.server ? AWAIT_HELLO : AWAIT_WELCOME;
  }

  /** Whether we are the PLAIN server. */
  get asServer(): boolean {
    return this.#role.server;
  }

  /** The peer's metadata, once the handshake is done. */
  get peerMetadata(): Metadata | undefined {
    return this.#peerMetadata;
  }

  /** The client opens with HELLO; the server waits for it. */
  start(host: HandshakeHost): void {
    const role = this.#role;
    if (role.server) return;
    const data = new Uint8Array(2 + role.username.length + role.password.length);
    data[0] = role.username.length;
    data.set(role.username, 1);
    data[1 + role.username.length] = role.password.length;
    data.set(role.password, 2 + role.username.length);
    host.sendCommand(commandBody("HELLO", data));
  }

  /** One handshake command, in the order RFC 24 sets. */
  command(host: HandshakeHost, name: string, body: Uint8Array): HandshakeStep {
    switch (this.#state) {
      case AWAIT_HELLO:
        return name === "HELLO" ? this.#hello(host, body) : unexpected(name, "HELLO");
      case AWAIT_WELCOME:
        if (name !== "WELCOME") return unexpected(name, "WELCOME");
        // libzmq's client wants WELCOME to be exactly the name, nothing more.
        if (body.length !== 8) {
          return protocolError(`malformed PLAIN WELCOME of ${body.length} bytes`);
        }
        this.#state = AWAIT_READY;
        host.sendCommand(commandBody("INITIATE", host.localMetadata.encode()));
        return "continue";
      case AWAIT_INITIATE:
        if (name !== "INITIATE") return unexpected(name, "INITIATE");
        return this.#metadata(
          body,
          () => host.sendCommand(commandBody("READY", host.localMetadata.encode())),
        );
      case AWAIT_READY:
        return name === "READY" ? this.#metadata(body, () => {}) : unexpected(name, "READY");
      default:
        return unexpected(name, "nothing");
    }
  }

  /** The authenticator accepted the client's credentials: WELCOME goes out. */
  authenticated(host: HandshakeHost): HandshakeStep {
    this.#state = AWAIT_INITIATE;
    host.sendCommand(commandBody("WELCOME"));
    return "continue";
  }

  #hello(host: HandshakeHost, body: Uint8Array): HandshakeStep {
    // libzmq requires HELLO to be exactly 6 + 1 + username + 1 + password bytes.
    const usernameLength = body[6] ?? -1;
    const passwordAt = 7 + usernameLength;
    const passwordLength = body[passwordAt] ?? -1;
    if (
      usernameLength < 0 || passwordLength < 0 || body.length !== passwordAt + 1 + passwordLength
    ) {
      return protocolError(`malformed PLAIN HELLO of ${body.length} bytes`);
    }
    host.authenticate([
      body.slice(7, passwordAt),
      body.slice(passwordAt + 1, passwordAt + 1 + passwordLength),
    ]);
    return "pending";
  }

  #metadata(body: Uint8Array, then: () => void): HandshakeStep {
    const metadata = Metadata.parse(body, commandDataOffset(body));
    if (!(metadata instanceof Metadata)) return metadata;
    this.#peerMetadata = metadata;
    this.#state = DONE;
    then();
    return "ready";
  }
}

function unexpected(name: string, expected: string): HandshakeStep {
  return protocolError(
    `unexpected ${JSON.stringify(name)} command during the PLAIN handshake (expected ${expected})`,
  );
}
