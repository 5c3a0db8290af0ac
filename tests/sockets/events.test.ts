// Monitor events (`socket.events`): the kinds and order libzmq reports for an accepted and a
// connected peer, the error events, and the two ways to consume them — an async iterator that
// ends after `end`, and on/off listeners.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
// Loads the runtime's tcp/ipc transport on first bind or connect.
import "../../mod.ts";
import { Dealer } from "../../sockets/dealer.ts";
import { Publisher } from "../../sockets/publisher.ts";
import { Router } from "../../sockets/router.ts";
import type { SocketEvent, SocketEventType } from "../../sockets/socket_events.ts";
import { libzmqPeerPerFile } from "../fixtures/libzmq_per_file.ts";

const { peer, name: socketName } = libzmqPeerPerFile();

const ALL_TYPES: readonly SocketEventType[] = [
  "bind",
  "bind:error",
  "accept",
  "accept:error",
  "connect",
  "connect:delay",
  "connect:retry",
  "close",
  "close:error",
  "disconnect",
  "handshake",
  "handshake:error:protocol",
  "handshake:error:auth",
  "handshake:error:other",
  "end",
];

/**
 * Every event of `socket` from now on, in order, recorded by listeners (so the record is
 * complete as soon as an event has been emitted); `ended` resolves after `end`.
 */
function record(
  socket: Dealer | Router | Publisher,
): { events: SocketEvent[]; ended: Promise<void> } {
  const events: SocketEvent[] = [];
  for (const type of ALL_TYPES) socket.events.on(type, (event) => events.push(event));
  return { events, ended: socket.events.next("end").then(() => {}) };
}

/** Every event of `socket` from now on, through its async iterator; `ended` when it ends. */
function iterate(socket: Router): { events: SocketEvent[]; ended: Promise<void> } {
  const events: SocketEvent[] = [];
  const ended = (async () => {
    for await (const event of socket.events) events.push(event);
  })();
  return { events, ended };
}

const types = (events: readonly { type: string }[]): string[] => events.map((e) => e.type);

describe("the events of an accepted peer", () => {
  const EXPECTED = ["bind", "accept", "handshake", "disconnect", "close", "end"];

  test("ours: bind, accept, handshake, disconnect, then close and end on close(), with the bound address", async () => {
    const name = socketName("dealer");
    await peer().socket(name, "Dealer");
    const router = new Router();
    const { events, ended } = record(router);
    try {
      await router.bind("tcp://127.0.0.1:0");
      const endpoint = router.lastEndpoint!;
      const ready = router.events.next("handshake");
      await peer().connect(name, endpoint);
      await ready;
      const gone = router.events.next("disconnect");
      await peer().close(name);
      await gone;
      router.close();
      await ended;
      assert.deepEqual(types(events), EXPECTED);
      for (const event of events.slice(0, 5)) assert.equal(event.address, endpoint);
      const accept = events[1];
      assert.match(accept.peer!, /^127\.0\.0\.1:\d+$/);
      assert.equal(events[2].peer, accept.peer);
      assert.equal(events[3].peer, accept.peer);
    } finally {
      router.close();
    }
  });

  test("libzmq's, for the same story", async () => {
    const name = socketName("router");
    await peer().socket(name, "Router");
    const events = await peer().events(name);
    const dealer = new Dealer();
    try {
      const endpoint = await peer().bind(name, "tcp://127.0.0.1:0");
      dealer.connect(endpoint);
      await events.waitFor("handshake");
      dealer.close();
      await events.waitFor("disconnect");
      await peer().close(name);
      await events.waitFor("end");
      assert.deepEqual(types(events.history), EXPECTED);
      for (const event of events.history.slice(0, 5)) assert.equal(event.address, endpoint);
    } finally {
      dealer.close();
    }
  });
});

describe("the events of a connected peer", () => {
  // The connection, its loss, and one failed attempt to connect again.
  const EXPECTED = [
    "connect:delay",
    "connect",
    "handshake",
    "disconnect",
    "connect:retry",
    "connect:delay",
    "close",
    "connect:retry",
  ];

  test("ours: connect:delay, connect, handshake; disconnect, then retries: connect:delay, close, connect:retry", async () => {
    const name = socketName("router");
    await peer().socket(name, "Router");
    const dealer = new Dealer({ reconnectInterval: 20 });
    const { events, ended } = record(dealer);
    try {
      const endpoint = await peer().bind(name, "tcp://127.0.0.1:0");
      const ready = dealer.events.next("handshake");
      dealer.connect(endpoint);
      await ready;
      let retries = 0;
      const retried = new Promise<void>((resolve) => {
        dealer.events.on("connect:retry", () => {
          // Closing right here keeps later attempts out of the record.
          if (++retries === 2) {
            dealer.close();
            resolve();
          }
        });
      });
      await peer().close(name);
      await retried;
      await ended;
      assert.deepEqual(types(events), [...EXPECTED, "end"]);
      for (const event of events.slice(0, -1)) assert.equal(event.address, endpoint);
      assert.equal(events[1].peer, endpoint.slice("tcp://".length));
      // libzmq closing with linger 0 may end with a reset rather than a FIN, depending on timing.
      assert.ok(
        events[3].error === undefined || events[3].error.code === "ECONNRESET",
        String(events[3].error),
      );
      assert.equal(events[4].interval! >= 20 && events[4].interval! < 40, true);
      assert.equal(events[6].error?.code, "ECONNREFUSED");
    } finally {
      dealer.close();
    }
  });

  test("libzmq's, for the same story", async () => {
    const name = socketName("dealer");
    await peer().socket(name, "Dealer", { reconnectInterval: 20 });
    const events = await peer().events(name);
    const router = new Router();
    try {
      await router.bind("tcp://127.0.0.1:0");
      const endpoint = router.lastEndpoint!;
      await peer().connect(name, endpoint);
      await events.waitFor("handshake");
      router.close();
      await events.waitFor("disconnect");
      await events.waitFor("connect:retry");
      await events.waitFor("connect:retry");
      await peer().close(name);
      assert.deepEqual(types(events.history.slice(0, EXPECTED.length)), EXPECTED);
      for (const event of events.history.slice(0, EXPECTED.length)) {
        assert.equal(event.address, endpoint);
      }
    } finally {
      router.close();
    }
  });
});

describe("error events", () => {
  test("an incompatible peer: handshake:error:protocol with an EPROTO error, then disconnect, on both sides", async () => {
    const router = new Router();
    const publisher = new Publisher();
    const ours = record(publisher).events;
    const theirs = record(router).events;
    try {
      await router.bind("tcp://127.0.0.1:0");
      const refused = router.events.next("disconnect");
      const gone = publisher.events.next("disconnect");
      publisher.connect(router.lastEndpoint!);
      await Promise.all([refused, gone]);
      assert.deepEqual(types(ours), [
        "connect:delay",
        "connect",
        "handshake:error:protocol",
        "disconnect",
      ]);
      assert.deepEqual(types(theirs), ["bind", "accept", "handshake:error:protocol", "disconnect"]);
      for (const events of [ours, theirs]) {
        assert.equal(events[2].error?.code, "EPROTO");
        assert.match(events[2].error!.message, /cannot talk to/);
      }
    } finally {
      router.close();
      publisher.close();
    }
  });

  test("a bind that fails reports bind:error with the error, and rejects with it", async () => {
    const first = new Router();
    const second = new Router();
    const { events } = record(second);
    try {
      await first.bind("tcp://127.0.0.1:0");
      const failed = second.events.next("bind:error");
      await assert.rejects(second.bind(first.lastEndpoint!), { code: "EADDRINUSE" });
      const event = await failed;
      assert.equal(event.address, first.lastEndpoint);
      assert.equal(event.error?.code, "EADDRINUSE");
      assert.deepEqual(types(events), ["bind:error"]);
    } finally {
      first.close();
      second.close();
    }
  });
});

describe("consuming events", () => {
  test("each async iterator sees every event in order and ends after `end`; one begun after `end` ends at once", async () => {
    const router = new Router();
    const typesSeen = async (): Promise<SocketEventType[]> => {
      const seen: SocketEventType[] = [];
      for await (const event of router.events) seen.push(event.type);
      return seen;
    };
    const first = typesSeen();
    const second = typesSeen();
    await router.bind("tcp://127.0.0.1:0");
    router.close();
    assert.deepEqual(await first, ["bind", "close", "end"]);
    assert.deepEqual(await second, ["bind", "close", "end"]);
    assert.deepEqual(await typesSeen(), []);
  });

  test("breaking out of a for-await stops that iterator only", async () => {
    const router = new Router();
    try {
      const kept = iterate(router);
      const seen: SocketEventType[] = [];
      const broken = (async () => {
        for await (const event of router.events) {
          seen.push(event.type);
          break;
        }
      })();
      await router.bind("inproc://events-break-1");
      await broken;
      await router.bind("inproc://events-break-2");
      router.close();
      await kept.ended;
      assert.deepEqual(seen, ["bind"]);
      assert.deepEqual(types(kept.events), ["bind", "bind", "close", "close", "end"]);
    } finally {
      router.close();
    }
  });

  test("on() calls a listener for each event of its type; after off() it is not called again", async () => {
    const router = new Router();
    try {
      const calls: string[] = [];
      const listener = (event: SocketEvent): void => void calls.push(event.address!);
      assert.equal(router.events.on("bind", listener), router.events);
      await router.bind("inproc://events-on-1");
      await router.bind("inproc://events-on-2");
      assert.equal(router.events.off("bind", listener), router.events);
      const third = router.events.next("bind");
      await router.bind("inproc://events-on-3");
      assert.equal((await third).address, "inproc://events-on-3");
      assert.deepEqual(calls, ["inproc://events-on-1", "inproc://events-on-2"]);
    } finally {
      router.close();
    }
  });
});
