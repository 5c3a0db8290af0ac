/**
 * Records what libzmq really sends, as extra fuzz corpus: a libzmq DEALER
 * talking to our ROUTER and a libzmq ROUTER answering our DEALER, with NULL
 * and with PLAIN (the credentials the fuzz targets use), through a TCP relay
 * that captures each direction. The streams go to
 * `fuzz/corpus/<target>/libzmq_*.hex`. (CURVE streams are not replayable:
 * libzmq's transient keys and nonces are random.)
 *
 * Usage: `node fuzz/capture_libzmq.ts` (libzmq runs in a Node child process,
 * so this runs under Deno and Bun too).
 *
 * @module
 */

import { Authenticator, Dealer, Router } from "../mod.ts";
import { startLibzmqPeer } from "../tests/fixtures/libzmq.ts";
import { TcpRelay } from "../tests/fixtures/tcp_relay.ts";
import { saveInput } from "./regressions.ts";

const PLAIN_CLIENT = { plainUsername: "admin", plainPassword: "secret" };
const TRAFFIC = ["hello", ["", "multi", "part"], "x".repeat(300), "last"] as const;

const libzmq = await startLibzmqPeer();

/** Saves what libzmq's `type` socket sent once its connection is over, and closes the relay. */
async function keep(
  relay: TcpRelay,
  direction: "upstream" | "downstream",
  target: string,
  type: string,
  mechanism: string,
): Promise<void> {
  await relay.waitForClosedConnections(1);
  const comment = `What a libzmq ${libzmq.zmqVersion} ${type} (${mechanism.toUpperCase()}) sent.`;
  const name = `libzmq_${type.toLowerCase()}`;
  console.log(`saved ${saveInput("corpus", target, name, relay.capture(direction), comment)}`);
  await relay.close();
}
// Our PLAIN server asks a ZAP handler, as libzmq's does when one is bound.
const auth = new Authenticator({ passwords: { admin: "secret" } });
await auth.start();
await libzmq.socket("zap", "Router");
await libzmq.bind("zap", "inproc://zeromq.zap.01");
try {
  for (const mechanism of ["null", "plain"] as const) {
    // A libzmq DEALER client: its bytes are what our ROUTER (the server) reads.
    {
      const router = new Router({
        linger: 0,
        ...(mechanism === "plain" ? { plainServer: true } : {}),
      });
      await router.bind("tcp://127.0.0.1:0");
      const relay = await TcpRelay.start(router.lastEndpoint!);
      await libzmq.socket("dealer", "Dealer", {
        routingId: "client",
        linger: 0,
        ...(mechanism === "plain" ? PLAIN_CLIENT : {}),
      });
      await libzmq.connect("dealer", relay.endpoint);
      for (const message of TRAFFIC) {
        await libzmq.send("dealer", message);
        const [id] = await router.receive();
        await router.send([id, "reply"]);
        await libzmq.receive("dealer");
      }
      await libzmq.close("dealer");
      await keep(relay, "upstream", `session_${mechanism}_server`, "DEALER", mechanism);
      router.close();
    }
    // A libzmq ROUTER server: its bytes are what our DEALER (the client) reads.
    {
      await libzmq.socket("router", "Router", {
        linger: 0,
        ...(mechanism === "plain" ? { plainServer: true } : {}),
      });
      const endpoint = await libzmq.bind("router", "tcp://127.0.0.1:0");
      const relay = await TcpRelay.start(endpoint);
      const dealer = new Dealer({ linger: 0, ...(mechanism === "plain" ? PLAIN_CLIENT : {}) });
      dealer.connect(relay.endpoint);
      if (mechanism === "plain") {
        // libzmq's PLAIN server asks the ZAP handler bound in its own process.
        const [id, ...request] = await libzmq.receive("zap");
        await libzmq.send("zap", [id, "", "1.0", request[2], "200", "OK", "admin", ""]);
      }
      for (const message of TRAFFIC) {
        await dealer.send(message);
        const [id] = await libzmq.receive("router");
        await libzmq.send("router", [id, ...[message].flat()]);
        await dealer.receive();
      }
      dealer.close();
      await keep(relay, "downstream", `session_${mechanism}_client`, "ROUTER", mechanism);
      await libzmq.close("router");
    }
  }
} finally {
  auth.close();
  await libzmq.stop();
}
