// Our Push and Pull against libzmq's, over tcp and ipc, each side binding in turn: round robin
// over three peers (exactly a third each, both ways), and fair queueing from three senders with
// each sender's order kept (both ways).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Pull } from "../../sockets/pull.ts";
import { Push } from "../../sockets/push.ts";
import { type LibzmqPeer, startLibzmqPeer } from "../fixtures/libzmq.ts";
import { interopAddress } from "../fixtures/libzmq_link.ts";
import { nextEvents, text } from "../fixtures/sockets.ts";

const PEERS = 3;
const ROUNDS = 10;
const PER_SENDER = 20;
let peer: LibzmqPeer;
let count = 0;

before(async () => {
  peer = await startLibzmqPeer();
});
after(async () => {
  await peer.stop();
});

/** Creates `PEERS` libzmq sockets of `type`, watching their monitor events; resolves with names. */
async function libzmqSockets(type: "Push" | "Pull"): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < PEERS; i++) {
    const name = `${type.toLowerCase()}${count++}`;
    await peer.socket(name, type);
    names.push(name);
  }
  return names;
}

/** Checks that `indices` go up by `PEERS` from their first: one peer's share of a round robin. */
function assertEveryThird(indices: number[]): void {
  for (let i = 1; i < indices.length; i++) assert.equal(indices[i], indices[i - 1] + PEERS);
}

/** Checks that each sender's sequence numbers arrived in order, all of them. */
function assertOrderPerSender(messages: [string, string][]): void {
  const next = new Map<string, number>();
  for (const [sender, sequence] of messages) {
    const expected = next.get(sender) ?? 0;
    assert.equal(Number(sequence), expected, `message ${sequence} of sender ${sender}`);
    next.set(sender, expected + 1);
  }
  assert.deepEqual([...next.values()], Array(PEERS).fill(PER_SENDER));
}

for (const transport of ["tcp", "ipc"] as const) {
  for (const weBind of [true, false]) {
    const direction = weBind ? "we bind" : "libzmq binds";

    describe(`interop over ${transport}, ${direction}`, () => {
      test("our Push → 3 libzmq Pulls: exactly a third each, round robin", async () => {
        const names = await libzmqSockets("Pull");
        const push = new Push();
        try {
          const ready = nextEvents(push, "handshake", PEERS);
          if (weBind) {
            await push.bind(interopAddress(transport, "push-pull"));
            for (const name of names) await peer.connect(name, push.lastEndpoint!);
          } else {
            for (const name of names) {
              push.connect(await peer.bind(name, interopAddress(transport, "push-pull")));
            }
          }
          await ready;
          for (let i = 0; i < PEERS * ROUNDS; i++) await push.send(["task", String(i)]);
          const seen = new Set<number>();
          for (const name of names) {
            const { messages } = await peer.receiveMany(name, ROUNDS, { keep: true });
            const indices = messages!.map(([task, index]) => {
              assert.equal(text(task), "task");
              return Number(text(index));
            });
            assertEveryThird(indices);
            for (const index of indices) seen.add(index);
          }
          assert.equal(seen.size, PEERS * ROUNDS);
        } finally {
          push.close();
          for (const name of names) await peer.close(name);
        }
      });

      test("libzmq Push → 3 of our Pulls: exactly a third each, round robin", async () => {
        const [name] = await libzmqSockets("Push");
        const pulls = Array.from({ length: PEERS }, () => new Pull({ receiveTimeout: 10_000 }));
        try {
          const events = await peer.events(name);
          if (weBind) {
            for (const pull of pulls) {
              await pull.bind(interopAddress(transport, "push-pull"));
              await peer.connect(name, pull.lastEndpoint!);
            }
          } else {
            const endpoint = await peer.bind(name, interopAddress(transport, "push-pull"));
            for (const pull of pulls) pull.connect(endpoint);
          }
          // libzmq round-robins over the peers it has: all three must be in first.
          for (let i = 0; i < PEERS; i++) await events.waitFor("handshake");
          for (let i = 0; i < PEERS * ROUNDS; i++) await peer.send(name, ["task", String(i)]);
          const seen = new Set<number>();
          for (const pull of pulls) {
            const indices: number[] = [];
            for (let i = 0; i < ROUNDS; i++) {
              const [task, index] = await pull.receive();
              assert.equal(text(task), "task");
              indices.push(Number(text(index)));
            }
            assertEveryThird(indices);
            for (const index of indices) seen.add(index);
          }
          assert.equal(seen.size, PEERS * ROUNDS);
        } finally {
          for (const pull of pulls) pull.close();
          await peer.close(name);
        }
      });

      test("3 of our Pushes → libzmq Pull: every message, each sender's order kept", async () => {
        const [name] = await libzmqSockets("Pull");
        const pushes = Array.from({ length: PEERS }, () => new Push());
        try {
          if (weBind) {
            for (const push of pushes) {
              await push.bind(interopAddress(transport, "push-pull"));
              await peer.connect(name, push.lastEndpoint!);
            }
          } else {
            const endpoint = await peer.bind(name, interopAddress(transport, "push-pull"));
            for (const push of pushes) push.connect(endpoint);
          }
          // The senders interleave; a bound Push's sends wait for its peer.
          await Promise.all(pushes.map(async (push, p) => {
            for (let i = 0; i < PER_SENDER; i++) await push.send([String(p), String(i)]);
          }));
          const { messages } = await peer.receiveMany(name, PEERS * PER_SENDER, { keep: true });
          assertOrderPerSender(messages!.map(([p, i]) => [text(p), text(i)]));
        } finally {
          for (const push of pushes) push.close();
          await peer.close(name);
        }
      });

      test("3 libzmq Pushes → our Pull: every message, each sender's order kept", async () => {
        const names = await libzmqSockets("Push");
        const pull = new Pull({ receiveTimeout: 10_000 });
        try {
          if (weBind) {
            await pull.bind(interopAddress(transport, "push-pull"));
            for (const name of names) await peer.connect(name, pull.lastEndpoint!);
          } else {
            for (const name of names) {
              pull.connect(await peer.bind(name, interopAddress(transport, "push-pull")));
            }
          }
          // A libzmq Push sends in call order; the three run at once.
          const sending = names.map(async (name, p) => {
            const sends: Promise<void>[] = [];
            for (let i = 0; i < PER_SENDER; i++) {
              sends.push(peer.send(name, [String(p), String(i)]));
            }
            await Promise.all(sends);
          });
          const received: [string, string][] = [];
          for (let i = 0; i < PEERS * PER_SENDER; i++) {
            const [p, sequence] = await pull.receive();
            received.push([text(p), text(sequence)]);
          }
          await Promise.all(sending);
          assertOrderPerSender(received);
        } finally {
          pull.close();
          for (const name of names) await peer.close(name);
        }
      });
    });
  }
}
