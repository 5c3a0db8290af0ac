/// <reference types="bun" />
/**
 * The raw floor's tcp on Bun: `Bun.listen` and `Bun.connect`, as monocoque's Bun adapter does:
 * `socket.write` may take fewer bytes than given, the rest waits for `drain`.
 *
 * @module
 */

import type { RawNet, RawStream } from "./raw_stream.ts";

const HIGH_WATER_MARK = 64 * 1024;

/** What each Bun socket carries: its stream's callbacks. */
interface Events {
  data(chunk: Uint8Array): void;
  drain(): void;
}

type BunSocket = Bun.Socket<Events | undefined>;

const handlers: Bun.SocketHandler<Events | undefined> = {
  data: (socket, chunk) => socket.data?.data(chunk),
  drain: (socket) => socket.data?.drain(),
};

function stream(socket: BunSocket): RawStream {
  socket.setNoDelay(true);
  const queue: Uint8Array[] = [];
  let queued = 0;
  let waiters: (() => void)[] = [];
  let onData: (chunk: Uint8Array) => void = () => {};
  const flush = (): void => {
    while (queue.length > 0) {
      const chunk = queue[0];
      const written = socket.write(chunk);
      queued -= Math.max(written, 0);
      if (written < chunk.length) {
        queue[0] = chunk.subarray(Math.max(written, 0));
        return;
      }
      queue.shift();
    }
    const wake = waiters;
    waiters = [];
    for (const resolve of wake) resolve();
  };
  socket.data = { data: (chunk) => onData(chunk), drain: flush };
  return {
    write(bytes) {
      if (queue.length === 0) {
        const written = socket.write(bytes);
        if (written === bytes.length) return true;
        bytes = bytes.subarray(Math.max(written, 0));
      }
      queue.push(bytes);
      queued += bytes.length;
      return queued < HIGH_WATER_MARK;
    },
    drained: () =>
      queue.length === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve)),
    onData(handler) {
      onData = handler;
    },
    close: () => socket.end(),
  };
}

/**
 * Bun's tcp for the floors.
 *
 * @example
 * ```ts
 * const listener = await bunNet.listen("127.0.0.1");
 * ```
 */
export const bunNet: RawNet = {
  listen(hostname) {
    let accept: (socket: BunSocket) => void = () => {};
    const accepted = new Promise<BunSocket>((resolve) => (accept = resolve));
    const server = Bun.listen<Events | undefined>({
      hostname,
      port: 0,
      socket: { ...handlers, open: (socket) => accept(socket) },
    });
    return Promise.resolve({
      port: server.port,
      accept: async () => stream(await accepted),
      // Not stop(true): that would also close the accepted connection.
      close: () => server.stop(),
    });
  },
  async connect(hostname, port) {
    return stream(await Bun.connect<Events | undefined>({ hostname, port, socket: handlers }));
  },
};
