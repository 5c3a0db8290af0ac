// Reconnection: libzmq's retry timing (ZMQ_RECONNECT_IVL, ZMQ_RECONNECT_IVL_MAX), connecting
// before the peer binds, finding a peer again after it was killed and restarted (messages and
// subscriptions), and what disconnect() and unbind() end.
// (No reconnection after a protocol error is proven in hostile_peers.test.ts.)
import assert from "node:assert/strict";
import process from "node:process";
import { describe, test } from "node:test";
// Loads the runtime's tcp/ipc transport on first bind or connect.
import "../../mod.ts";
import { Dealer } from "../../sockets/dealer.ts";
import { Router } from "../../sockets/router.ts";
import type { SocketEvent } from "../../sockets/socket_events.ts";
import { Subscriber } from "../../sockets/subscriber.ts";
import { ipcAddress, type LibzmqPeer, startLibzmqPeer } from "../fixtures/libzmq.ts";
import { libzmqPeerPerFile } from "../fixtures/libzmq_per_file.ts";
import { RawPeer } from "../fixtures/raw_peer.ts";

const encoder = new TextEncoder();
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const bytes = (value: string): Uint8Array => encoder.encode(value);

const { peer, name: socketName } = libzmqPeerPerFile();

/** A retry as observed: the interval it announced and when the next attempt started. */
interface Retry {
  readonly interval: number;
  /** Milliseconds from the `connect:retry` event to the next attempt's `connect:delay`. */
  readonly waited: number;
}

/** The first `count` retries of a Dealer with `options` dialing an ipc path nobody binds. */
async function ourRetries(
  options: { reconnectInterval: number; reconnectMaxInterval?: number },
  count: number,
): Promise<Retry[]> {
  const dealer = new Dealer(options);
  const retries: Retry[] = [];
  try {
    let last: { interval: number; at: number } | undefined;
    const done = new Promise<void>((resolve) => {
      dealer.events.on("connect:retry", (event) => {
        last = { interval: event.interval!, at: performance.now() };
      });
      dealer.events.on("connect:delay", () => {
        if (last === undefined) return;
        retries.push({ interval: last.interval, waited: performance.now() - last.at });
        last = undefined;
        if (retries.length === count) resolve();
      });
    });
    dealer.connect(ipcAddress("reconnect-nobody"));
    await done;
    return retries;
  } finally {
    dealer.close();
  }
}

/** The first `count` retry intervals libzmq announces with the same options. */
async function libzmqIntervals(
  options: { reconnectInterval: number; reconnectMaxInterval?: number },
  count: number,
): Promise<number[]> {
  const name = socketName("retrying");
  await peer().socket(name, "Dealer", options);
  try {
    const events = await peer().events(name);
    await peer().connect(name, ipcAddress("reconnect-nobody"));
    const intervals: number[] = [];
    for (let i = 0; i < count; i++) {
      intervals.push((await events.waitFor("connect:retry")).interval!);
    }
    return intervals;
  } finally {
    await peer().close(name);
  }
}

describe("retry timing", () => {
  test("reconnectMaxInterval 0: each retry waits the interval plus a jitter below it, [ivl, 2*ivl)", async () => {
    const ivl = 20;
    const retries = await ourRetries({ reconnectInterval: ivl }, 8);
    for (const { interval, waited } of retries) {
      assert.ok(interval >= ivl && interval < 2 * ivl, `interval ${interval}`);
      assert.ok(waited >= interval - 1, `attempted after ${waited} ms of ${interval}`);
    }
    // The same rule as libzmq's.
    for (const interval of await libzmqIntervals({ reconnectInterval: ivl }, 4)) {
      assert.ok(interval >= ivl && interval < 2 * ivl, `libzmq interval ${interval}`);
    }
  });

  for (const [ivl, max] of [[10, 80], [40, 25], [30, 30]]) {
    test(`reconnectInterval ${ivl}, reconnectMaxInterval ${max}: the interval doubles up to the maximum, as libzmq's`, async () => {
      const expected = Array.from({ length: 6 }, (_, i) => Math.min(max, ivl * 2 ** i));
      const options = { reconnectInterval: ivl, reconnectMaxInterval: max };
      assert.deepEqual(await libzmqIntervals(options, 6), expected);
      const retries = await ourRetries(options, 6);
      assert.deepEqual(retries.map((retry) => retry.interval), expected);
      for (const { interval, waited } of retries) {
        assert.ok(waited >= interval - 1, `attempted after ${waited} ms of ${interval}`);
      }
    });
  }

  test("reconnectInterval -1: no retry after a failed attempt, nor after a lost connection", async () => {
    const address = ipcAddress("reconnect-never");
    const dealer = new Dealer({ reconnectInterval: -1 });
    const router = new Router();
    const retries: SocketEvent[] = [];
    dealer.events.on("connect:retry", (event) => retries.push(event));
    try {
      const failed = dealer.events.next("close");
      dealer.connect(address);
      assert.equal((await failed).error?.code, "ENOENT");
      await router.bind(address);
      const handshakes: SocketEvent[] = [];
      router.events.on("handshake", (event) => handshakes.push(event));
      // Proving that something does NOT happen takes a bounded wait: 10 default intervals.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.deepEqual(handshakes, []);
      assert.deepEqual(retries, []);
    } finally {
      dealer.close();
      router.close();
    }
  });
});

describe("peers that come late, or come back", () => {
  test("connect before a libzmq peer binds: the messages queued meanwhile arrive in order", async () => {
    const name = socketName("late");
    await peer().socket(name, "Router");
    const dealer = new Dealer({ routingId: "early", reconnectInterval: 10 });
    try {
      const address = ipcAddress("reconnect-late");
      dealer.connect(address);
      for (let i = 0; i < 3; i++) await dealer.send(`queued ${i}`);
      await dealer.events.next("connect:retry");
      await peer().bind(name, address);
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(await peer().receive(name), [bytes("early"), bytes(`queued ${i}`)]);
      }
    } finally {
      dealer.close();
      await peer().close(name);
    }
  });

  test("a libzmq Router killed with SIGKILL and restarted on the same port gets the Dealer's messages", async () => {
    const dealer = new Dealer({ routingId: "survivor", reconnectInterval: 50 });
    let first: LibzmqPeer | undefined = await startLibzmqPeer();
    let second: LibzmqPeer | undefined;
    try {
      await first.socket("router", "Router");
      const endpoint = await first.bind("router", "tcp://127.0.0.1:0");
      dealer.connect(endpoint);
      await dealer.send("before");
      assert.deepEqual(await first.receive("router"), [bytes("survivor"), bytes("before")]);
      const lost = dealer.events.next("disconnect");
      process.kill(first.pid, "SIGKILL");
      await lost;
      await first.stop();
      first = undefined;
      await dealer.send("while it was away");
      second = await startLibzmqPeer();
      await second.socket("router", "Router");
      const found = dealer.events.next("handshake");
      await second.bind("router", endpoint);
      await found;
      await dealer.send("after");
      assert.deepEqual(await second.receive("router"), [
        bytes("survivor"),
        bytes("while it was away"),
      ]);
      assert.deepEqual(await second.receive("router"), [bytes("survivor"), bytes("after")]);
    } finally {
      dealer.close();
      await first?.stop();
      await second?.stop();
    }
  });

  test("a Subscriber's subscriptions come back to a libzmq publisher restarted after SIGKILL", async () => {
    // An XPublisher shows the subscriptions it receives; it publishes like a Publisher.
    const subscriber = new Subscriber({ reconnectInterval: 50 });
    let first: LibzmqPeer | undefined = await startLibzmqPeer();
    let second: LibzmqPeer | undefined;
    try {
      await first.socket("pub", "XPublisher");
      const endpoint = await first.bind("pub", "tcp://127.0.0.1:0");
      subscriber.connect(endpoint);
      subscriber.subscribe("news.");
      assert.deepEqual(await first.receive("pub"), [bytes("\x01news.")]);
      await first.send("pub", ["news.1"]);
      assert.equal(text((await subscriber.receive())[0]), "news.1");
      const lost = subscriber.events.next("disconnect");
      process.kill(first.pid, "SIGKILL");
      await lost;
      await first.stop();
      first = undefined;
      second = await startLibzmqPeer();
      await second.socket("pub", "XPublisher");
      await second.bind("pub", endpoint);
      // Not subscribed again by the application: the Subscriber replays it on reconnection.
      assert.deepEqual(await second.receive("pub"), [bytes("\x01news.")]);
      await second.send("pub", ["weather.2"]);
      await second.send("pub", ["news.2"]);
      assert.equal(text((await subscriber.receive())[0]), "news.2");
    } finally {
      subscriber.close();
      await first?.stop();
      await second?.stop();
    }
  });
});

describe("disconnect() and unbind()", () => {
  test("disconnect() ends that endpoint for good: the peer sees it go, later messages go elsewhere", async () => {
    const staying = new Router();
    const leaving = new Router();
    const dealer = new Dealer({ reconnectInterval: 10 });
    try {
      for (const router of [staying, leaving]) {
        await router.bind("tcp://127.0.0.1:0");
        const ready = router.events.next("handshake");
        dealer.connect(router.lastEndpoint!);
        await ready;
      }
      const gone = leaving.events.next("disconnect");
      dealer.disconnect(leaving.lastEndpoint!);
      await gone;
      const accepted: SocketEvent[] = [];
      leaving.events.on("accept", (event) => accepted.push(event));
      for (let i = 0; i < 4; i++) await dealer.send(String(i));
      for (let i = 0; i < 4; i++) assert.equal(text((await staying.receive())[1]), String(i));
      // Proving that something does NOT happen takes a bounded wait: 10 reconnect intervals.
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(accepted, []);
      assert.throws(() => dealer.disconnect(leaving.lastEndpoint!), { code: "ENOENT" });
    } finally {
      dealer.close();
      staying.close();
      leaving.close();
    }
  });

  test("disconnect() drops what was queued for the endpoint; connecting again starts afresh", async () => {
    const address = ipcAddress("reconnect-again");
    const dealer = new Dealer({ reconnectInterval: 10 });
    const router = new Router();
    try {
      dealer.connect(address);
      await dealer.send("queued, then dropped");
      dealer.disconnect(address);
      dealer.connect(address);
      await dealer.send("sent after connecting again");
      await router.bind(address);
      assert.equal(text((await router.receive())[1]), "sent after connecting again");
    } finally {
      dealer.close();
      router.close();
    }
  });

  test("after unbind() new connections are refused; connections already accepted stay", async () => {
    // libzmq 4.3.5 also closes tcp and ipc connections accepted through the endpoint; we keep
    // them, as unbind() documents.
    const router = new Router();
    const dealer = new Dealer({ routingId: "d" });
    try {
      await router.bind("tcp://127.0.0.1:0");
      const endpoint = router.lastEndpoint!;
      dealer.connect(endpoint);
      await dealer.send("before");
      assert.equal(text((await router.receive())[1]), "before");
      const closed = router.events.next("close");
      await router.unbind(endpoint);
      assert.equal((await closed).address, endpoint);
      await assert.rejects(RawPeer.connect(endpoint), { code: "ECONNREFUSED" });
      await dealer.send("after");
      const [id, body] = await router.receive();
      assert.equal(text(body), "after");
      await router.send([id, "reply"]);
      assert.equal(text((await dealer.receive())[0]), "reply");
      await assert.rejects(router.unbind(endpoint), { code: "ENOENT" });
      // The address is free: binding it again works.
      await router.bind(endpoint);
    } finally {
      dealer.close();
      router.close();
    }
  });
});
