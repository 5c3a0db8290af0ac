/**
 * A plain TCP relay for long runs: it forwards bytes both ways without
 * looking at or keeping them (the test fixture `tests/fixtures/tcp_relay.ts`
 * records every frame, which a half-hour run cannot afford), can cut every
 * connection it relays, and can be pointed at a new target when the server
 * behind it restarts on another port. Uses `node:net`.
 *
 * @module
 */

import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * Relays every connection accepted on a loopback port to a target endpoint.
 *
 * @example
 * ```ts
 * const relay = await CuttingRelay.start("tcp://127.0.0.1:5555");
 * client.connect(relay.endpoint);
 * relay.cut(); // the client reconnects through the relay
 * await relay.close();
 * ```
 */
export class CuttingRelay {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #target: { host: string; port: number } | undefined;
  /** Connections accepted so far. */
  accepted = 0;
  /** Times `cut()` found connections to cut. */
  cuts = 0;
  /** The `tcp://127.0.0.1:port` endpoint to connect the client to. */
  endpoint = "";

  private constructor(server: Server, target: string) {
    this.#server = server;
    this.#target = parseTcp(target);
  }

  /** Starts a relay to the `tcp://host:port` endpoint `target`. */
  static async start(target: string): Promise<CuttingRelay> {
    const server = createServer();
    const relay = new CuttingRelay(server, target);
    server.on("connection", (socket) => relay.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("relay has no tcp port");
    relay.endpoint = `tcp://127.0.0.1:${address.port}`;
    return relay;
  }

  /**
   * Relays connections accepted from now on to `target`; `undefined` refuses them (closes them
   * at once) until the next retarget: while the server is down its old port may be given to
   * another process, which a relayed client must not reach.
   */
  retarget(target: string | undefined): void {
    this.#target = target === undefined ? undefined : parseTcp(target);
  }

  /** Cuts every relayed connection open now; the relay keeps accepting new ones. */
  cut(): void {
    if (this.#sockets.size > 0) this.cuts++;
    for (const socket of this.#sockets) socket.destroy();
  }

  /** Stops listening and cuts every relayed connection. */
  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    if (this.#target === undefined) {
      client.destroy();
      return;
    }
    this.accepted++;
    const upstream = connect(this.#target.port, this.#target.host);
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on("error", () => {});
      socket.once("close", () => {
        client.destroy();
        upstream.destroy();
        this.#sockets.delete(client);
        this.#sockets.delete(upstream);
      });
    }
    // pipe() pauses the faster side when the other's buffer is full.
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

function parseTcp(endpoint: string): { host: string; port: number } {
  const match = /^tcp:\/\/(.+):(\d+)$/.exec(endpoint);
  if (match === null) throw new TypeError(`not a tcp endpoint: ${endpoint}`);
  return { host: match[1].replace(/^\[|\]$/g, ""), port: Number(match[2]) };
}
