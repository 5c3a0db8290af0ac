/**
 * The raw floor's tcp on Node (also what Bun and Deno would run through their Node
 * compatibility, but the floors use their own APIs there): `node:net`, as monocoque's Node
 * adapter does.
 *
 * @module
 */

import * as net from "node:net";
import type { RawListener, RawNet, RawStream } from "./raw_stream.ts";

function stream(socket: net.Socket): RawStream {
  socket.setNoDelay(true);
  return {
    write: (bytes) => socket.write(bytes),
    drained: () =>
      socket.writableLength === 0
        ? Promise.resolve()
        : new Promise((resolve) => socket.once("drain", resolve)),
    onData: (handler) => socket.on("data", handler),
    close: () => socket.end(),
  };
}

/**
 * Node's tcp for the floors.
 *
 * @example
 * ```ts
 * const listener = await nodeNet.listen("127.0.0.1");
 * ```
 */
export const nodeNet: RawNet = {
  listen(host) {
    const server = net.createServer();
    const accepted = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
    return new Promise<RawListener>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, host, () => {
        resolve({
          port: (server.address() as net.AddressInfo).port,
          accept: async () => stream(await accepted),
          close: () => server.close(),
        });
      });
    });
  },
  connect(host, port) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port }, () => resolve(stream(socket)));
      socket.once("error", reject);
    });
  },
};
