/**
 * The raw floor's tcp on Deno: `Deno.listen` and `Deno.connect`, as monocoque's Deno adapter
 * does: a read loop into a reused 64 KiB buffer, and a write loop with one `conn.write` in
 * flight that continues after partial writes.
 *
 * @module
 */

import type { RawNet, RawStream } from "./raw_stream.ts";

/**
 * The part of Deno's API the floor uses, declared here: the type-check of the repository runs
 * without Deno's types (only adapters/deno is checked by `deno check`).
 */
interface TcpConn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  setNoDelay(noDelay: boolean): void;
  close(): void;
}

interface DenoTcp {
  listen(options: { transport: "tcp"; hostname: string; port: number }): {
    readonly addr: { port: number };
    accept(): Promise<TcpConn>;
    close(): void;
  };
  connect(options: { transport: "tcp"; hostname: string; port: number }): Promise<TcpConn>;
}

const Deno = (globalThis as unknown as { Deno: DenoTcp }).Deno;

const READ_SIZE = 64 * 1024;
const HIGH_WATER_MARK = 64 * 1024;

function stream(conn: TcpConn): RawStream {
  conn.setNoDelay(true);
  const queue: Uint8Array[] = [];
  let queued = 0;
  let writing = false;
  let waiters: (() => void)[] = [];
  let closed = false;
  const pump = async (): Promise<void> => {
    writing = true;
    while (queue.length > 0) {
      // Join what queued up behind the write in flight: one syscall for it all.
      let chunk = queue.length === 1 ? queue[0] : new Uint8Array(queued);
      if (queue.length > 1) {
        let at = 0;
        for (const part of queue) {
          chunk.set(part, at);
          at += part.length;
        }
      }
      queue.length = 0;
      while (chunk.length > 0) chunk = chunk.subarray(await conn.write(chunk));
      queued = queue.reduce((sum, part) => sum + part.length, 0);
    }
    queued = 0;
    writing = false;
    const wake = waiters;
    waiters = [];
    for (const resolve of wake) resolve();
  };
  return {
    write(bytes) {
      queue.push(bytes);
      queued += bytes.length;
      if (!writing) pump().catch(() => {});
      return queued < HIGH_WATER_MARK;
    },
    drained: () =>
      writing ? new Promise((resolve) => waiters.push(() => resolve())) : Promise.resolve(),
    onData(handler) {
      const buffer = new Uint8Array(READ_SIZE);
      (async () => {
        while (!closed) {
          const count = await conn.read(buffer);
          if (count === null) break;
          handler(buffer.subarray(0, count));
        }
      })().catch(() => {});
    },
    close() {
      closed = true;
      const finish = () => {
        try {
          conn.close();
        } catch { /* already closed by the peer */ }
      };
      if (writing) waiters.push(finish);
      else finish();
    },
  };
}

/**
 * Deno's tcp for the floors.
 *
 * @example
 * ```ts
 * const listener = await denoNet.listen("127.0.0.1");
 * ```
 */
export const denoNet: RawNet = {
  listen(hostname) {
    const listener = Deno.listen({ transport: "tcp", hostname, port: 0 });
    return Promise.resolve({
      port: listener.addr.port,
      accept: async () => stream(await listener.accept()),
      close: () => listener.close(),
    });
  },
  async connect(hostname, port) {
    return stream(await Deno.connect({ transport: "tcp", hostname, port }));
  },
};
