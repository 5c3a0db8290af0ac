// ZMTP 3.1 heartbeats against libzmq: a libzmq peer that PINGs us with a short
// time-to-live and timeout stays connected because we answer and keep talking,
// and our PINGs are answered by libzmq in turn.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Dealer, Router, type SocketEvent } from "../../mod.ts";
import { type LibzmqPeer, startLibzmqPeer } from "../fixtures/libzmq.ts";

const encoder = new TextEncoder();
let peer: LibzmqPeer;

before(async () => {
  peer = await startLibzmqPeer();
});
after(async () => {
  await peer.stop();
});

/** Long enough for ten heartbeat intervals of 50 ms, well past every timeout and TTL below. */
const OBSERVATION_MS = 600;

test("a libzmq Dealer with heartbeats keeps its connection to our Router", async () => {
  await peer.socket("hb-dealer", "Dealer", {
    routingId: "hb",
    heartbeatInterval: 50,
    heartbeatTimeToLive: 200,
    heartbeatTimeout: 150,
  });
  const theirEvents = await peer.events("hb-dealer");
  const router = new Router();
  const ours: SocketEvent[] = [];
  router.events.on("disconnect", (event) => ours.push(event));
  try {
    await router.bind("tcp://127.0.0.1:0");
    await peer.connect("hb-dealer", router.lastEndpoint!);
    await theirEvents.waitFor("handshake");
    // Time passing is what is under test: libzmq would drop us within 150 ms of a PING we ignored.
    await new Promise((resolve) => setTimeout(resolve, OBSERVATION_MS));
    assert.deepEqual(theirEvents.history.filter((e) => e.type === "disconnect"), []);
    assert.deepEqual(ours, []);
    await peer.send("hb-dealer", "still here");
    const [id, body] = await router.receive();
    assert.deepEqual(new Uint8Array(id), encoder.encode("hb"));
    assert.deepEqual(new Uint8Array(body), encoder.encode("still here"));
  } finally {
    router.close();
    await peer.close("hb-dealer");
  }
});

test("our Dealer with heartbeats keeps its connection to a libzmq Router that answers them", async () => {
  await peer.socket("hb-router", "Router");
  const theirEvents = await peer.events("hb-router");
  const endpoint = await peer.bind("hb-router", "tcp://127.0.0.1:0");
  const dealer = new Dealer({
    routingId: "ours",
    heartbeatInterval: 50,
    heartbeatTimeToLive: 200,
    heartbeatTimeout: 150,
  });
  const ours: SocketEvent[] = [];
  dealer.events.on("disconnect", (event) => ours.push(event));
  try {
    const handshake = dealer.events.next("handshake");
    dealer.connect(endpoint);
    await handshake;
    await new Promise((resolve) => setTimeout(resolve, OBSERVATION_MS));
    assert.deepEqual(ours, []);
    assert.deepEqual(theirEvents.history.filter((e) => e.type === "disconnect"), []);
    await dealer.send("still here");
    const [id, body] = await peer.receive("hb-router");
    assert.deepEqual(id, encoder.encode("ours"));
    assert.deepEqual(body, encoder.encode("still here"));
  } finally {
    dealer.close();
    await peer.close("hb-router");
  }
});
