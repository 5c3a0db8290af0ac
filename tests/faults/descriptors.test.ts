// A process out of file descriptors: a bound socket in a peer process started with a low
// `ulimit -n` cannot accept while its descriptor table is full (EMFILE), and must accept again
// once connections close, not lose its listener or the process.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import net from "node:net";
import { describe, test } from "node:test";
// Loads the runtime's tcp/ipc transport on first bind or connect.
import "../../mod.ts";
import { Dealer } from "../../sockets/dealer.ts";
import { type LibzmqPeer, type PeerRuntime, startMonocoquePeer } from "../fixtures/libzmq.ts";
import { texts } from "../fixtures/sockets.ts";

/** The peer's descriptor limit: a few dozen above what each runtime opens to start. */
const LIMIT = 64;
/** Connections opened at once: more than the limit can ever accept. */
const CONNECTIONS = 2 * LIMIT;

const SKIP: Partial<Record<PeerRuntime, string>> = {
  // Deno sets up its signal handling by itself about half a second after start; if no descriptor
  // is free then, it panics (ext/signals/lib.rs), which is Deno's fault, not the listener's.
  deno: "Deno 2.9.6 panics when it has no descriptor left for its own signal handling",
};

/** How many descriptors `pid` holds open. */
function descriptors(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Resolves once `pid` holds `count` descriptors; polls, as no event tells. */
async function untilDescriptors(pid: number, count: number): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (descriptors(pid) < count) {
    if (performance.now() > deadline) {
      throw new Error(`the peer holds ${descriptors(pid)} descriptors, never ${count}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Opens `count` raw tcp connections to `port`; resolves once the kernel completed them all. */
function flood(port: number, count: number): Promise<net.Socket[]> {
  return Promise.all(
    Array.from({ length: count }, () =>
      new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect(port, "127.0.0.1", () => resolve(socket));
        socket.once("error", reject);
        // Node's listeners accept and at once close what they cannot keep (libuv's reserve
        // descriptor): a reset then is expected, not a failure.
        socket.once("connect", () => socket.on("error", () => {}));
      })),
  );
}

describe("a bound socket in a process out of descriptors", () => {
  for (const runtime of ["node", "deno", "bun"] as const) {
    test(`accepts again once descriptors are free (monocoque on ${runtime})`, {
      skip: SKIP[runtime] ?? false,
    }, async () => {
      let peer: LibzmqPeer | undefined;
      const raw: net.Socket[] = [];
      // A listener lost to EMFILE would leave the Dealer retrying: fail in time instead.
      const dealer = new Dealer({ receiveTimeout: 10_000 });
      try {
        peer = await startMonocoquePeer({
          runtime,
          prefix: ["sh", "-c", `ulimit -n ${LIMIT} && exec "$0" "$@"`],
        });
        await peer.socket("router", "Router");
        const endpoint = await peer.bind("router", "tcp://127.0.0.1:0");
        const port = Number(new URL(endpoint).port);
        await peer.echo("router");
        for (let round = 0; round < 2; round++) {
          raw.push(...await flood(port, CONNECTIONS));
          // The table is full: every accept from now on fails with EMFILE.
          await untilDescriptors(peer.pid, LIMIT);
          for (const socket of raw.splice(0)) socket.destroy();
        }
        dealer.connect(endpoint);
        await dealer.send("still here");
        assert.deepEqual(texts(await dealer.receive()), ["still here"]);
      } finally {
        for (const socket of raw) socket.destroy();
        dealer.close();
        await peer?.stop();
      }
    });
  }
});
