// The built-in Authenticator answers each request on its own.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Authenticator, Dealer, Router } from "../../mod.ts";

test("a slow decision for one client does not hold up another's handshake", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const auth = new Authenticator({
    authenticate: async (request) => {
      if (request.username === "slow") await gate;
      return true;
    },
  });
  await auth.start();
  // Bounded, so that a serial authenticator fails this test with EAGAIN rather than a hang.
  const router = new Router({ plainServer: true, receiveTimeout: 5000 });
  const slow = new Dealer({ plainUsername: "slow", plainPassword: "x", routingId: "slow" });
  const fast = new Dealer({ plainUsername: "fast", plainPassword: "x", routingId: "fast" });
  try {
    await router.bind("tcp://127.0.0.1:0");
    slow.connect(router.lastEndpoint!);
    await slow.send("from slow");
    fast.connect(router.lastEndpoint!);
    await fast.send("from fast");
    // The fast client is served while the slow one's decision is still pending.
    const [first] = await router.receive();
    assert.equal(new TextDecoder().decode(first), "fast");
    release();
    const [second] = await router.receive();
    assert.equal(new TextDecoder().decode(second), "slow");
  } finally {
    release();
    slow.close();
    fast.close();
    router.close();
    auth.close();
  }
});
