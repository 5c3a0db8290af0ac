// Our Stream socket talking to plain TCP and ipc peers made with node:net: no ZMTP on the wire.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { describe, test } from "node:test";
import "../../mod.ts";
import { concatBytes } from "../../core/bytes.ts";
import { Stream, type StreamOptions } from "../../sockets/stream.ts";
import { ipcAddress } from "../fixtures/libzmq.ts";
import { plain } from "../fixtures/messages.ts";
import { RawPeer } from "../fixtures/raw_peer.ts";
import {
  assertSameBytes,
  collectBytes,
  randomBytes,
  receiveNotification,
} from "../fixtures/stream_data.ts";

const encoder = new TextEncoder();
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
/** How long a receive may wait: a missing message fails with EAGAIN instead of hanging. */
const WAIT = 5000;

/**
 * Runs `body` with a Stream bound on `address` and a plain client connected to it, once the
 * Stream has announced the client; closes both afterwards.
 */
async function withClient(
  options: StreamOptions,
  body: (stream: Stream, client: RawPeer, id: Uint8Array) => Promise<void>,
  address = "tcp://127.0.0.1:0",
): Promise<void> {
  const stream = new Stream({ receiveTimeout: WAIT, ...options });
  let client: RawPeer | undefined;
  try {
    await stream.bind(address);
    client = await RawPeer.connect(stream.lastEndpoint!);
    const id = await receiveNotification(() => stream.receive());
    await body(stream, client, id);
  } finally {
    client?.close();
    stream.close();
  }
}

/** A plain node:net server whose accepted connections are awaited in order. */
class RawServer {
  readonly #server: Server;
  readonly #accepted: RawPeer[] = [];
  #waiters: (() => void)[] = [];
  #taken = 0;

  private constructor(server: Server) {
    this.#server = server;
    server.on("connection", (socket) => {
      this.#accepted.push(RawPeer.wrap(socket));
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const waiter of waiters) waiter();
    });
  }

  /** Listens on a free port of 127.0.0.1, or on an ipc path. */
  static async listen(path?: string): Promise<RawServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      if (path === undefined) server.listen(0, "127.0.0.1", resolve);
      else server.listen(path, resolve);
    });
    return new RawServer(server);
  }

  /** The endpoint to connect a Stream to. */
  get endpoint(): string {
    const address = this.#server.address();
    if (typeof address === "string") return `ipc://${address}`;
    return `tcp://127.0.0.1:${address!.port}`;
  }

  /** How many connections were accepted so far. */
  get acceptedCount(): number {
    return this.#accepted.length;
  }

  /** Resolves with the next accepted connection not taken yet. */
  async next(): Promise<RawPeer> {
    while (this.#accepted.length <= this.#taken) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    return this.#accepted[this.#taken++];
  }

  /** Closes the server and every connection it accepted. */
  async close(): Promise<void> {
    for (const peer of this.#accepted) peer.close();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

describe("Stream with plain TCP peers", () => {
  test("a plain TCP client makes an HTTP-like request and reads the response", async () => {
    await withClient({}, async (stream, client, id) => {
      // Generated as libzmq does: 00 and a 32-bit counter.
      assert.equal(id.length, 5);
      assert.equal(id[0], 0);
      const request = encoder.encode("GET /hello HTTP/1.0\r\nHost: test\r\n\r\n");
      client.write(request);
      assertSameBytes(await collectBytes(() => stream.receive(), id, request.length), request);
      const response = "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello";
      await stream.send([id, response]);
      assert.equal(text(await client.receivedAtLeast(response.length)), response);
      // No ZMTP greeting or framing: exactly the response bytes arrived.
      assert.equal(client.received.length, response.length);
    });
  });

  test("connect and disconnect notifications carry the peer's routing id", async () => {
    await withClient({}, async (stream, first, firstId) => {
      const second = await RawPeer.connect(stream.lastEndpoint!);
      try {
        const secondId = await receiveNotification(() => stream.receive());
        assert.notDeepEqual(firstId, secondId);
        second.write(encoder.encode("two"));
        assert.deepEqual(plain(await stream.receive()), [secondId, encoder.encode("two")]);
        first.end();
        assert.deepEqual(await receiveNotification(() => stream.receive()), firstId);
        // The peer is gone: its routing id is unknown now.
        await assert.rejects(stream.send([firstId, "late"]), { code: "EHOSTUNREACH" });
        await stream.send([secondId, "still here"]);
        assert.equal(text(await second.receivedAtLeast(10)), "still here");
      } finally {
        second.close();
      }
    });
  });

  test("with notify off, only data is received", async () => {
    const stream = new Stream({ notify: false, receiveTimeout: WAIT });
    let client: RawPeer | undefined;
    try {
      assert.equal(stream.notify, false);
      await stream.bind("tcp://127.0.0.1:0");
      client = await RawPeer.connect(stream.lastEndpoint!);
      client.write(encoder.encode("data"));
      const [id, data] = await stream.receive();
      assert.equal(text(data), "data");
      const disconnected = stream.events.next("disconnect");
      client.end();
      await disconnected;
      // The disconnect has been handled: a notification would be queued by now.
      stream.receiveTimeout = 0;
      await assert.rejects(stream.receive(), { code: "EAGAIN" });
      await assert.rejects(stream.send([id, "x"]), { code: "EHOSTUNREACH" });
    } finally {
      client?.close();
      stream.close();
    }
  });

  test("sending empty data closes the connection after what was sent before", async () => {
    await withClient({}, async (stream, client, id) => {
      // Sent in one turn: the first goes to the connection, the rest wait in the pipe.
      const parts = [randomBytes(1024 * 1024), randomBytes(1024 * 1024), randomBytes(1024 * 1024)];
      for (const part of parts) await stream.send([id, part]);
      await stream.send([id, ""]);
      await client.closed;
      assertSameBytes(client.received, concatBytes(parts));
      await assert.rejects(stream.send([id, "more"]), { code: "EHOSTUNREACH" });
      // Proving that no disconnect notification follows our own close needs a bounded wait.
      await new Promise((resolve) => setTimeout(resolve, 100));
      stream.receiveTimeout = 0;
      await assert.rejects(stream.receive(), { code: "EAGAIN" });
    });
  });

  test("our Stream connects out to a plain TCP server, redials after a lost connection", async () => {
    const server = await RawServer.listen();
    const stream = new Stream({ reconnectInterval: 10, receiveTimeout: WAIT });
    const receive = (): Promise<Uint8Array[]> => stream.receive();
    try {
      // Named on connect, so data can be queued before the connection exists.
      stream.connect(server.endpoint, { routingId: "web" });
      await stream.send(["web", "GET / HTTP/1.0\r\n\r\n"]);
      const first = await server.next();
      assert.equal(text(await receiveNotification(receive)), "web");
      assert.equal(text(await first.receivedAtLeast(18)), "GET / HTTP/1.0\r\n\r\n");
      first.write(encoder.encode("HTTP/1.0 200 OK\r\n\r\n"));
      const response = await collectBytes(receive, encoder.encode("web"), 19);
      assert.equal(text(response), "HTTP/1.0 200 OK\r\n\r\n");
      // The server ends the connection: a disconnect, then a new connection under the same id.
      first.end();
      assert.equal(text(await receiveNotification(receive)), "web");
      const second = await server.next();
      assert.equal(text(await receiveNotification(receive)), "web");
      await stream.send(["web", "again"]);
      assert.equal(text(await second.receivedAtLeast(5)), "again");
      // Closing it ourselves ends the connection for good: no redial.
      await stream.send(["web", ""]);
      await second.closed;
      await assert.rejects(stream.send(["web", "x"]), { code: "EHOSTUNREACH" });
      assert.throws(() => stream.disconnect(server.endpoint), { code: "ENOENT" });
      // Proving that no redial happens needs a bounded wait (the interval is 10 ms).
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(server.acceptedCount, 2);
    } finally {
      stream.close();
      await server.close();
    }
  });

  test("with immediate, a connect()ed peer is routable once connected; closing it stops", async () => {
    const server = await RawServer.listen();
    const stream = new Stream({ immediate: true, reconnectInterval: 10, receiveTimeout: WAIT });
    try {
      stream.connect(server.endpoint, { routingId: "srv" });
      // No pipe before the connection, so nothing to queue for.
      await assert.rejects(stream.send(["srv", "early"]), { code: "EHOSTUNREACH" });
      const peer = await server.next();
      assert.equal(text(await receiveNotification(() => stream.receive())), "srv");
      await stream.send(["srv", "now"]);
      await stream.send(["srv", ""]);
      await peer.closed;
      assert.equal(text(peer.received), "now");
      // The endpoint was disconnected, so it is not dialled again.
      assert.throws(() => stream.disconnect(server.endpoint), { code: "ENOENT" });
    } finally {
      stream.close();
      await server.close();
    }
  });

  test("a generated routing id is learned from the connect notification", async () => {
    const server = await RawServer.listen();
    const stream = new Stream({ receiveTimeout: WAIT });
    try {
      stream.connect(server.endpoint);
      const peer = await server.next();
      const id = await receiveNotification(() => stream.receive());
      assert.equal(id.length, 5);
      assert.equal(id[0], 0);
      await stream.send([id, "hi"]);
      assert.equal(text(await peer.receivedAtLeast(2)), "hi");
    } finally {
      stream.close();
      await server.close();
    }
  });

  test("ipc: a plain client and a plain server, both ways", async () => {
    const server = await RawServer.listen(ipcAddress("stream").slice("ipc://".length));
    try {
      await withClient({}, async (stream, client, clientId) => {
        const receive = (): Promise<Uint8Array[]> => stream.receive();
        client.write(encoder.encode("ping"));
        assert.equal(text(await collectBytes(receive, clientId, 4)), "ping");
        await stream.send([clientId, "pong"]);
        assert.equal(text(await client.receivedAtLeast(4)), "pong");

        stream.connect(server.endpoint, { routingId: "ipc-server" });
        const accepted = await server.next();
        assert.equal(text(await receiveNotification(receive)), "ipc-server");
        await stream.send(["ipc-server", "hello"]);
        assert.equal(text(await accepted.receivedAtLeast(5)), "hello");
        accepted.write(encoder.encode("world"));
        assert.equal(text(await collectBytes(receive, encoder.encode("ipc-server"), 5)), "world");
      }, ipcAddress("stream"));
    } finally {
      await server.close();
    }
  });

  test("1 MiB arrives complete each way", async () => {
    await withClient({}, async (stream, client, id) => {
      const upload = randomBytes(1024 * 1024);
      client.write(upload);
      assertSameBytes(await collectBytes(() => stream.receive(), id, upload.length), upload);
      const download = randomBytes(1024 * 1024);
      await stream.send([id, download]);
      assertSameBytes(await client.receivedAtLeast(download.length), download);
    });
  });

  test("a peer that does not read makes sends wait, until it reads again", async () => {
    await withClient({ sendHighWaterMark: 1, sendTimeout: 0 }, async (stream, client, id) => {
      client.pause();
      const chunk = randomBytes(1024 * 1024);
      let sent = 0;
      // With sendTimeout 0 a send that would wait rejects with EAGAIN: that is the full peer.
      for (;;) {
        assert.ok(sent < 256, "the peer never filled up");
        try {
          await stream.send([id, chunk]);
        } catch (error) {
          assert.equal((error as { code?: string }).code, "EAGAIN");
          break;
        }
        sent++;
        // Let the connection report that its buffer is full.
        await new Promise((resolve) => setImmediate(resolve));
      }
      stream.sendTimeout = -1;
      const waiting = stream.send([id, chunk]);
      client.resume();
      await waiting;
      sent++;
      const received = await client.receivedAtLeast(sent * chunk.length);
      assert.equal(received.length, sent * chunk.length);
      for (let at = 0; at < received.length; at += chunk.length) {
        assertSameBytes(received.subarray(at, at + chunk.length), chunk);
      }
    });
  });

  test("errors: unknown routing id, frame count, inproc, ZMTP-only options", async () => {
    const stream = new Stream();
    try {
      await assert.rejects(stream.send(["nobody", "x"]), { code: "EHOSTUNREACH" });
      assert.throws(
        () => stream.send(["a", "b", "c"] as unknown as [string, string]),
        TypeError,
      );
      await assert.rejects(stream.bind("inproc://stream"), { code: "ENOTSUP" });
      assert.throws(() => stream.connect("inproc://stream"), { code: "ENOTSUP" });
      assert.throws(() => new Stream({ heartbeatInterval: 100 } as object), { code: "ENOTSUP" });
      assert.throws(() => {
        (stream as unknown as { routingId: string }).routingId = "me";
      }, { code: "ENOTSUP" });
      assert.throws(() => {
        stream.notify = "yes" as unknown as boolean;
      }, TypeError);
      stream.connect("tcp://127.0.0.1:9", { routingId: "taken" });
      assert.throws(() => stream.connect("tcp://127.0.0.1:10", { routingId: "taken" }), {
        code: "EINVAL",
      });
    } finally {
      stream.close();
    }
  });
});
