// A Router/Dealer broker with libzmq, in both roles: libzmq Request clients and Reply workers
// around our Router–Proxy–Dealer; and our Dealer clients and Router workers around a libzmq
// Router and Dealer. Over tcp and ipc, each side binding in turn.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Dealer } from "../../sockets/dealer.ts";
import { Proxy } from "../../sockets/proxy.ts";
import { Router } from "../../sockets/router.ts";
import { type LibzmqPeer, startLibzmqPeer } from "../fixtures/libzmq.ts";
import { linkWithLibzmq } from "../fixtures/libzmq_link.ts";
import { texts } from "../fixtures/sockets.ts";

const encoder = new TextEncoder();
const CLIENTS = 3;
const WORKERS = 2;
const REQUESTS = 5;
let peer: LibzmqPeer;
let count = 0;

before(async () => {
  peer = await startLibzmqPeer();
});
after(async () => {
  await peer.stop();
});

/** Links our socket with each libzmq socket in `theirs`; when we bind, all connect to one address. */
async function linkAll(
  transport: "tcp" | "ipc",
  weBind: boolean,
  ours: Router | Dealer,
  theirs: readonly string[],
): Promise<void> {
  for (const name of theirs) {
    if (weBind && ours.lastEndpoint !== null) await peer.connect(name, ours.lastEndpoint);
    else await linkWithLibzmq(peer, transport, weBind, ours, name);
  }
}

/** Moves `count` messages from one libzmq socket to another, as a broker's loop would. */
async function relay(from: string, to: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await peer.send(to, await peer.receive(from));
}

for (const transport of ["tcp", "ipc"] as const) {
  for (const weBind of [true, false]) {
    const direction = weBind ? "we bind" : "libzmq binds";

    describe(`broker with libzmq over ${transport}, ${direction}`, () => {
      test("libzmq Request clients → our Router, Proxy, Dealer → libzmq Reply workers", async () => {
        const clients = Array.from({ length: CLIENTS }, () => `req${count++}`);
        const workers = Array.from({ length: WORKERS }, () => `rep${count++}`);
        for (const name of clients) await peer.socket(name, "Request");
        for (const name of workers) await peer.socket(name, "Reply");
        const frontEnd = new Router();
        const backEnd = new Dealer();
        const proxy = new Proxy(frontEnd, backEnd);
        const running = proxy.run();
        try {
          for (const name of workers) await peer.echo(name);
          await linkAll(transport, weBind, backEnd, workers);
          await linkAll(transport, weBind, frontEnd, clients);
          // Each client in turn of its own, all at once: every reply is the request echoed.
          await Promise.all(clients.map(async (name, c) => {
            for (let i = 0; i < REQUESTS; i++) {
              const request = [`client ${c}`, `request ${i}`];
              await peer.send(name, request);
              assert.deepEqual(await peer.receive(name), request.map((s) => encoder.encode(s)));
            }
          }));
        } finally {
          proxy.terminate();
          await running;
          frontEnd.close();
          backEnd.close();
          for (const name of [...clients, ...workers]) await peer.close(name);
        }
      });

      test("our Dealer clients → libzmq Router, Dealer → our Router workers", async () => {
        const frontEnd = `router${count++}`;
        const backEnd = `dealer${count++}`;
        await peer.socket(frontEnd, "Router");
        await peer.socket(backEnd, "Dealer");
        const clients = Array.from(
          { length: CLIENTS },
          (_, c) => new Dealer({ routingId: `c${c}` }),
        );
        const workers = Array.from({ length: WORKERS }, () => new Router());
        const total = CLIENTS * REQUESTS;
        try {
          // Ours is the side that binds when we bind: each client and worker on its own address.
          for (const client of clients) await linkAll(transport, weBind, client, [frontEnd]);
          for (const worker of workers) await linkAll(transport, weBind, worker, [backEnd]);
          const relays = [relay(frontEnd, backEnd, total), relay(backEnd, frontEnd, total)];
          // Workers answer with the whole envelope: the libzmq Dealer's id, the client's, "".
          const served = workers.map(async (worker) => {
            for (;;) {
              const [dealerId, clientId, empty, body] = await worker.receive();
              await worker.send([dealerId, clientId, empty, `reply to ${texts([body])[0]}`]);
            }
          });
          for (const s of served) s.catch(() => {});
          for (let i = 0; i < REQUESTS; i++) {
            for (const [c, client] of clients.entries()) await client.send(["", `c${c}-${i}`]);
          }
          for (const [c, client] of clients.entries()) {
            const replies: string[] = [];
            for (let i = 0; i < REQUESTS; i++) {
              const [empty, reply] = texts(await client.receive());
              assert.equal(empty, "");
              replies.push(reply);
            }
            // Requests went round robin to two workers: each answers in order, not together.
            assert.deepEqual(
              replies.toSorted(),
              Array.from({ length: REQUESTS }, (_, i) => `reply to c${c}-${i}`).toSorted(),
            );
          }
          await Promise.all(relays);
        } finally {
          for (const socket of [...clients, ...workers]) socket.close();
          await peer.close(frontEnd);
          await peer.close(backEnd);
        }
      });
    });
  }
}
