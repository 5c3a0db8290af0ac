/**
 * The socket classes a benchmark end uses, as far as it uses them: monocoque (`mod.ts`) and the
 * npm `zeromq` package both fit, so one end serves both.
 *
 * @module
 */

/** Socket options the benchmark sets: the CURVE ones, named alike by monocoque and zeromq. */
export interface SecurityOptions {
  curveServer?: boolean;
  curveSecretKey?: string;
  curvePublicKey?: string;
  curveServerKey?: string;
}

/** A received message. */
export type Frames = Uint8Array[];

interface Closable {
  close(): void;
}

/** A socket that binds. */
export interface Binding extends Closable {
  bind(endpoint: string): Promise<void>;
  readonly lastEndpoint: string | null;
}

/** A socket that connects. */
export interface Connecting extends Closable {
  connect(endpoint: string): void;
}

type Sending<M> = { send(message: M): Promise<void> };
type Receiving = AsyncIterable<Frames> & { receive(): Promise<Frames> };
type Socket = Binding & Connecting;

/** The socket classes of an implementation. */
export interface Library {
  Dealer: new (options?: SecurityOptions) => Socket & Receiving & Sending<Uint8Array>;
  Router: new (options?: SecurityOptions) =>
    & Socket
    & Receiving
    & Sending<(Uint8Array | string)[]>;
  Push: new (options?: SecurityOptions) => Socket & Sending<Uint8Array | string>;
  Pull: new (options?: SecurityOptions) => Socket & Receiving;
  Request: new () => Socket & Receiving & Sending<Uint8Array>;
  Reply: new () => Socket & Receiving & Sending<Uint8Array>;
  Publisher: new () => Socket & Sending<Uint8Array>;
  Subscriber: new () => Socket & Receiving & { subscribe(...topics: string[]): void };
}

/** What each implementation's end script hands to the cases. */
export interface EndContext {
  readonly library: Library;
  /** Extra fields for the "ready" line (such as the libzmq version). */
  readonly about: Record<string, unknown>;
}

/** Where a binding end listens: the kernel picks the port. */
export const ANY_PORT = "tcp://127.0.0.1:0";

/**
 * Binds `socket` to a free loopback port and returns it with its endpoint.
 *
 * @example
 * ```ts
 * const pull = await bound(new Pull());
 * console.log(pull.lastEndpoint);
 * ```
 */
export async function bound<S extends Binding>(socket: S): Promise<S & { lastEndpoint: string }> {
  await socket.bind(ANY_PORT);
  if (socket.lastEndpoint === null) throw new Error("bound, but no lastEndpoint");
  return socket as S & { lastEndpoint: string };
}

/**
 * Decodes the first frame of an answer and checks it is `expected`.
 *
 * @example
 * ```ts
 * expectText(await back.receive(), "go");
 * ```
 */
export function expectText(message: Frames, expected: string): void {
  const [frame] = message;
  const text = frame === undefined ? "<none>" : new TextDecoder().decode(frame);
  if (text !== expected) throw new Error(`expected "${expected}", got "${text}"`);
}

/**
 * Checks a received message: `frames` frames, the last of `size` bytes.
 *
 * @example
 * ```ts
 * checkMessage(message, 1, 64, received);
 * ```
 */
export function checkMessage(message: Frames, frames: number, size: number, index: number): void {
  const payload = message[frames - 1];
  if (message.length !== frames || payload.length !== size) {
    throw new Error(
      `message ${index}: expected ${frames} frame(s), the last of ${size} bytes;` +
        ` got ${message.length} frame(s), the last of ${message.at(-1)?.length} bytes`,
    );
  }
}
