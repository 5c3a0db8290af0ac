// A Router under fire: while a monocoque Dealer and a libzmq Dealer make request/replies through
// it, hundreds of raw TCP connections send it every kind of bad input at once. The good peers'
// replies must all come back intact; every hostile connection must end with a monitor event that
// says why; afterwards the Router must hold nothing for them, and memory must not have grown.
import assert from "node:assert/strict";
import { connect, type Socket as NetSocket } from "node:net";
import process from "node:process";
import { after, before, describe, test } from "node:test";
import { concatBytes } from "../../core/bytes.ts";
import { curveKeyPair, Dealer, Router, type SocketEvent, ZmqError } from "../../mod.ts";
import { type LibzmqPeer, startLibzmqPeer } from "../fixtures/libzmq.ts";
import { nullGreeting, readyFrame } from "../fixtures/raw_peer.ts";
import { EventLog } from "../fixtures/security.ts";

const encoder = new TextEncoder();
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const MAX_MESSAGE_SIZE = 4096;
/**
 * Short, yet long enough that a hostile peer's bytes, sent at once, are always read before it
 * runs out, even when a loaded machine stalls the process between accepting and reading.
 */
const HANDSHAKE_INTERVAL = 2000;
/** Connections of each hostile kind. */
const PER_KIND = 20;
/** Hostile connections open at once. */
const CONCURRENCY = 60;
const MiB = 1024 * 1024;

/** A long frame header (flags | LONG) announcing `size` bytes. */
function longHeader(flags: number, size: bigint): Uint8Array {
  const header = new Uint8Array(9);
  header[0] = flags | 0x02;
  new DataView(header.buffer).setBigUint64(1, size);
  return header;
}

/** A short data frame. */
function dataFrame(flags: number, body: string): Uint8Array {
  const bytes = encoder.encode(body);
  return new Uint8Array([flags, bytes.length, ...bytes]);
}

/** Greeting and READY of a DEALER announcing `identity`: the handshake a real peer makes. */
function handshake(identity: string): Uint8Array {
  return concatBytes([
    nullGreeting(),
    readyFrame("DEALER", [["Identity", encoder.encode(identity)]]),
  ]);
}

/** What one hostile kind sends, and how the Router must end the connection. */
interface HostileKind {
  readonly name: string;
  /** Bytes to send; `identity` is unique per connection, for kinds that pass the handshake. */
  readonly bytes: (identity: string) => Uint8Array;
  /** The peer closes its side after sending (else it waits for the Router to close it). */
  readonly peerCloses?: boolean;
  /** The protocol error the Router must report, or undefined when none may be reported. */
  readonly protocol?: RegExp;
  /** The error the disconnect event must carry (code and message), if any. */
  readonly disconnect?: { code: string; message: RegExp };
  /** The messages the Router must receive from this peer (after the routing id). */
  readonly delivers?: string[][];
}

const KINDS: readonly HostileKind[] = [
  {
    name: "random bytes",
    bytes: () => {
      const bytes = crypto.getRandomValues(new Uint8Array(200));
      bytes[0] = bytes[0] === 0xff ? 0 : bytes[0];
      return bytes;
    },
    protocol: /not a ZMTP 3 peer/,
  },
  {
    name: "a wrong signature",
    bytes: () => {
      const greeting = nullGreeting();
      greeting[9] = 0x7e;
      return greeting;
    },
    protocol: /ZMTP 1\.0/,
  },
  {
    name: "an unknown mechanism",
    bytes: () => {
      const greeting = nullGreeting();
      greeting.set(encoder.encode("GSSAPI2"), 12);
      return greeting;
    },
    protocol: /"GSSAPI2" security mechanism, we use NULL/,
  },
  {
    name: "a truncated greeting",
    bytes: () => nullGreeting().subarray(0, 30),
    disconnect: { code: "ETIMEDOUT", message: /handshake not completed within 2000 ms/ },
  },
  {
    name: "a greeting and no READY",
    bytes: () => nullGreeting(),
    disconnect: { code: "ETIMEDOUT", message: /handshake not completed within 2000 ms/ },
  },
  {
    name: "nothing at all",
    bytes: () => new Uint8Array(0),
    disconnect: { code: "ETIMEDOUT", message: /handshake not completed within 2000 ms/ },
  },
  {
    name: "a frame size of 2^63",
    bytes: (id) => concatBytes([handshake(id), longHeader(0, 1n << 63n)]),
    protocol: /frame size of 9223372036854775808 bytes, larger than any frame can be/,
  },
  {
    name: "a frame size of 2^64 - 1 before READY",
    bytes: () => concatBytes([nullGreeting(), longHeader(0x04, 0xffffffffffffffffn)]),
    protocol: /frame size of 18446744073709551615 bytes/,
  },
  {
    name: "a frame one byte over maxMessageSize",
    bytes: (id) =>
      concatBytes([
        handshake(id),
        longHeader(0, BigInt(MAX_MESSAGE_SIZE + 1)),
        new Uint8Array(MAX_MESSAGE_SIZE + 1),
      ]),
    protocol: /4097 bytes, over the limit of 4096 bytes/,
  },
  {
    name: "a frame of 1 GiB over maxMessageSize, body never sent",
    bytes: (id) => concatBytes([handshake(id), longHeader(0, 1n << 30n)]),
    protocol: /1073741824 bytes, over the limit of 4096 bytes/,
  },
  {
    name: "a PUB socket type",
    bytes: () => concatBytes([nullGreeting(), readyFrame("PUB"), dataFrame(0, "from PUB")]),
    protocol: /"PUB" cannot talk to ROUTER/,
  },
  {
    name: "an invented socket type",
    bytes: () => concatBytes([nullGreeting(), readyFrame("TEAPOT")]),
    protocol: /"TEAPOT" cannot talk to ROUTER/,
  },
  {
    name: "READY twice",
    bytes: (id) => concatBytes([handshake(id), readyFrame("DEALER")]),
    protocol: /READY command after the handshake/,
  },
  {
    name: "a message before READY",
    bytes: () => concatBytes([nullGreeting(), dataFrame(0, "too early")]),
    protocol: /message before completing the handshake/,
  },
  {
    name: "a malformed command",
    bytes: (id) => concatBytes([handshake(id), new Uint8Array([0x04, 0x03, 0x09, 0x41, 0x42])]),
    protocol: /malformed command/,
  },
  {
    name: "reserved flag bits set (ignored, as libzmq does)",
    bytes: (id) => concatBytes([handshake(id), dataFrame(0xf8, "reserved bits")]),
    peerCloses: true,
    delivers: [["reserved bits"]],
  },
  {
    name: "a command with MORE inside a message (joins nothing)",
    bytes: (id) =>
      concatBytes([
        handshake(id),
        dataFrame(0x01, "part1"),
        // PING (TTL 0) with the MORE bit set.
        new Uint8Array([0x05, 0x07, 0x04, 0x50, 0x49, 0x4e, 0x47, 0x00, 0x00]),
        dataFrame(0x00, "part2"),
      ]),
    peerCloses: true,
    delivers: [["part1", "part2"]],
  },
  {
    name: "half a message, then close",
    bytes: (id) =>
      concatBytes([handshake(id), dataFrame(0x01, "first"), new Uint8Array([0x00, 0x20, 0x61])]),
    peerCloses: true,
    delivers: [],
  },
];

/** One hostile connection: connects, sends, and resolves once the connection has closed. */
interface Hostile {
  readonly kind: HostileKind;
  readonly identity: string;
  /** The Router's name for us (`ip:port`), as its events report it. */
  readonly peer: string;
  /** Whether the Router closed the connection before we did. */
  readonly closedByRouter: Promise<boolean>;
}

function openHostile(port: number, kind: HostileKind, identity: string): Promise<Hostile> {
  return new Promise((resolve, reject) => {
    const socket: NetSocket = connect(port, "127.0.0.1");
    let ended = false;
    socket.on("error", () => {});
    socket.on("data", () => {});
    socket.once("connect", () => {
      socket.off("error", reject);
      const closedByRouter = new Promise<boolean>((done) => {
        socket.once("end", () => {
          if (!ended) done(true);
          socket.destroy();
        });
        socket.once("close", () => done(!ended));
      });
      const bytes = kind.bytes(identity);
      if (bytes.length > 0) socket.write(bytes);
      if (kind.peerCloses === true) {
        ended = true;
        socket.end();
      }
      resolve({ kind, identity, peer: `127.0.0.1:${socket.localPort}`, closedByRouter });
    });
    socket.once("error", reject);
  });
}

/** The request a good peer sends as its `i`th: its index and a body whose size varies. */
/** The events of the `use`-th connection in a peer address's events: from its accept on. */
function connectionEvents(events: readonly SocketEvent[], use: number): SocketEvent[] {
  const starts = events.flatMap((event, i) => event.type === "accept" ? [i] : []);
  if (use >= starts.length) return [];
  return events.slice(starts[use], starts[use + 1] ?? events.length);
}

function request(who: string, i: number): string {
  return `${who}-${i}-${"x".repeat((i * 37) % 2000)}`;
}

let libzmq: LibzmqPeer;
before(async () => {
  libzmq = await startLibzmqPeer();
});
after(async () => {
  await libzmq?.stop();
});

describe("a Router among hundreds of hostile connections", () => {
  test("serves its good peers throughout and closes each hostile one with its reason", async () => {
    const router = new Router({
      maxMessageSize: MAX_MESSAGE_SIZE,
      handshakeInterval: HANDSHAKE_INTERVAL,
      mandatory: true,
      linger: 0,
    });
    // A lost reply fails the test at once instead of hanging it.
    const good = new Dealer({ routingId: "good", linger: 0, receiveTimeout: 10_000 });
    const log = new EventLog(router);
    /** Messages from hostile peers, by identity (the good ones are echoed). */
    const hostileMessages = new Map<string, string[][]>();
    let echoing: Promise<void> | undefined;
    try {
      await router.bind("tcp://127.0.0.1:0");
      const endpoint = router.lastEndpoint!;
      const port = Number(/:(\d+)$/.exec(endpoint)![1]);
      echoing = (async () => {
        for await (const [id, ...frames] of router) {
          const who = text(id);
          if (who === "good" || who === "libzmq") {
            await router.send([id, ...frames]);
          } else {
            const list = hostileMessages.get(who) ?? [];
            list.push(frames.map(text));
            hostileMessages.set(who, list);
          }
        }
      })();
      good.connect(endpoint);
      await libzmq.socket("dealer", "Dealer", { routingId: "libzmq", linger: 0 });
      await libzmq.connect("dealer", endpoint);

      const heapBefore = process.memoryUsage().heapUsed;
      let attacking = true;
      let goodReplies = 0;
      let libzmqReplies = 0;
      // The good peers make request/replies, in order, for as long as the attack lasts.
      const goodPeer = (async () => {
        let i = 0;
        for (; attacking || i < 50; i++) {
          await good.send(request("good", i));
          const [reply] = await good.receive();
          assert.equal(text(reply), request("good", i), `good reply ${i}`);
          goodReplies++;
        }
        return i;
      })();
      const libzmqPeer = (async () => {
        let i = 0;
        for (; attacking || i < 10; i++) {
          await libzmq.send("dealer", request("libzmq", i));
          const [reply] = await libzmq.receive("dealer");
          assert.equal(text(reply), request("libzmq", i), `libzmq reply ${i}`);
          libzmqReplies++;
        }
        return i;
      })();

      const hostiles: Hostile[] = [];
      // Every kind at every moment of the attack: the queue takes the kinds in turn.
      const queue = Array.from(
        { length: PER_KIND },
        (_, n) => KINDS.map((kind, k) => ({ kind, identity: `hostile-${k}-${n}` })),
      ).flat();
      const worker = async (): Promise<void> => {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
          const hostile = await openHostile(port, next.kind, next.identity);
          hostiles.push(hostile);
          await hostile.closedByRouter;
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      // Every hostile connection's end is reported (the good peers stay connected).
      await log.nth("disconnect", KINDS.length * PER_KIND);
      attacking = false;
      const duringAttack = [goodReplies, libzmqReplies];
      const [goodCount, libzmqCount] = await Promise.all([goodPeer, libzmqPeer]);
      assert.ok(goodCount >= 50 && libzmqCount >= 10);
      // Served while the attack went on, not only after it.
      assert.ok(duringAttack[0] >= 10 && duringAttack[1] >= 3, `replies: ${duringAttack}`);

      assert.equal(hostiles.length, KINDS.length * PER_KIND);
      // A client port can be used again once its connection is gone, so one peer address may
      // stand for several hostile connections in turn: the n-th of them owns the events from
      // the n-th accept of that address on.
      const uses = new Map<string, number>();
      for (const hostile of hostiles) {
        const { kind, peer, identity } = hostile;
        const label = `${kind.name} (${identity}, ${peer})`;
        const use = uses.get(peer) ?? 0;
        uses.set(peer, use + 1);
        const events = connectionEvents(log.events.filter((e) => e.peer === peer), use);
        const types = events.map((e) =>
          e.error === undefined ? e.type : `${e.type} (${e.error.code}: ${e.error.message})`
        );
        assert.equal(events[0]?.type, "accept", `${label}: ${types.join(", ")}`);
        assert.equal(
          events.filter((e) => e.type === "disconnect").length,
          1,
          `${label}: ${types.join(", ")}`,
        );
        const protocol = events.filter((e) => e.type === "handshake:error:protocol");
        const disconnect = events.find((e) => e.type === "disconnect")!;
        if (kind.protocol !== undefined) {
          assert.equal(await hostile.closedByRouter, true, `${label} was not closed by the Router`);
          assert.equal(protocol.length, 1, `${label}: ${types.join(", ")}`);
          assert.ok(protocol[0].error instanceof ZmqError, label);
          assert.match(protocol[0].error!.message, kind.protocol, label);
          assert.equal(disconnect.error, protocol[0].error, label);
        } else {
          assert.equal(protocol.length, 0, `${label}: ${protocol[0]?.error?.message}`);
        }
        if (kind.disconnect !== undefined) {
          assert.equal(await hostile.closedByRouter, true, `${label} was not closed by the Router`);
          assert.equal(disconnect.error?.code, kind.disconnect.code, label);
          assert.match(disconnect.error!.message, kind.disconnect.message, label);
        }
        if (kind.delivers !== undefined) {
          assert.deepEqual(hostileMessages.get(identity) ?? [], kind.delivers, label);
        } else {
          assert.equal(hostileMessages.get(identity), undefined, `${label} delivered a message`);
        }
      }
      // Nothing of a hostile peer stays routable: a mandatory Router has no pipe for any of them.
      for (const hostile of hostiles) {
        await assert.rejects(
          router.send([hostile.identity, "anyone there?"]),
          (error: ZmqError) => error.code === "EHOSTUNREACH",
          hostile.identity,
        );
      }
      // The good peers are still served after it all.
      await good.send("after");
      assert.equal(text((await good.receive())[0]), "after");
      await libzmq.send("dealer", "after");
      assert.equal(text((await libzmq.receive("dealer"))[0]), "after");
      // Generous: the attack sent well under 50 MiB in all, and none of it may be held on to.
      const growth = process.memoryUsage().heapUsed - heapBefore;
      assert.ok(growth < 50 * MiB, `heap grew by ${(growth / MiB).toFixed(1)} MiB`);
    } finally {
      router.close();
      good.close();
      await libzmq.close("dealer").catch(() => {});
      // The echo loop ends with the Router; how it ends is not under test.
      await echoing?.catch(() => {});
    }
  });

  test("a CURVE HELLO with a transient key of small order is refused, not thrown", async () => {
    const server = await curveKeyPair();
    const client = await curveKeyPair();
    const router = new Router({ curveServer: true, curveSecretKey: server.secretKey, linger: 0 });
    const good = new Dealer({
      curveServerKey: server.publicKey,
      curvePublicKey: client.publicKey,
      curveSecretKey: client.secretKey,
      routingId: "good",
      linger: 0,
      receiveTimeout: 10_000,
    });
    const log = new EventLog(router);
    try {
      await router.bind("tcp://127.0.0.1:0");
      const port = Number(/:(\d+)$/.exec(router.lastEndpoint!)![1]);
      const greeting = nullGreeting();
      greeting.set(encoder.encode("CURVE"), 12);
      // HELLO: version 1.0, padding, an all-zero transient key, nonce 1, and any box.
      const hello = new Uint8Array(2 + 200);
      hello.set([0x04, 200, 0x05, ...encoder.encode("HELLO"), 1, 0]);
      hello[2 + 119] = 1;
      const socket = connect(port, "127.0.0.1");
      socket.on("error", () => {});
      const peer = await new Promise<string>((resolve) =>
        socket.once("connect", () => resolve(`127.0.0.1:${socket.localPort}`))
      );
      socket.write(concatBytes([greeting, hello]));
      await log.nth("disconnect");
      const events = log.events.filter((e) => e.peer === peer);
      const refused = events.find((e) => e.type === "handshake:error:protocol");
      assert.ok(refused, events.map((e) => `${e.type}: ${e.error?.message}`).join(", "));
      assert.match(refused.error!.message, /CURVE HELLO does not open/);
      socket.destroy();
      // The Router keeps serving CURVE peers.
      good.connect(router.lastEndpoint!);
      await good.send("still there?");
      const [id, body] = await router.receive();
      assert.equal(text(body), "still there?");
      await router.send([id, "yes"]);
      assert.equal(text((await good.receive())[0]), "yes");
    } finally {
      router.close();
      good.close();
    }
  });
});
