/**
 * The smallest byte-stream interface the raw floors need, which each runtime's file
 * (`node_stream.ts`, `deno_stream.ts`, `bun_stream.ts`) implements directly over that
 * runtime's socket API, the one monocoque's adapter for it uses: `node:net`, `Deno.connect` and
 * `Deno.listen`, `Bun.connect` and `Bun.listen`. No ZMTP, no adapter: what is left is the
 * runtime's own cost of moving bytes.
 *
 * @module
 */

/** One tcp connection, with TCP_NODELAY set. */
export interface RawStream {
  /** Queues bytes; false once the caller should wait for {@link RawStream.drained}. */
  write(bytes: Uint8Array): boolean;
  /** Resolves when everything written has been taken by the kernel. */
  drained(): Promise<void>;
  /** Where received chunks go; a chunk is only valid during the call. */
  onData(handler: (chunk: Uint8Array) => void): void;
  close(): void;
}

/** A listening socket that accepts one connection. */
export interface RawListener {
  readonly port: number;
  accept(): Promise<RawStream>;
  close(): void;
}

/** A runtime's tcp, as the floors use it. */
export interface RawNet {
  listen(host: string): Promise<RawListener>;
  connect(host: string, port: number): Promise<RawStream>;
}
