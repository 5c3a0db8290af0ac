/**
 * One end of the scale case (`bench/scale.ts`), run unchanged by `node`, `deno run -A` and
 * `bun`:
 *
 *     scale_end.ts router
 *     scale_end.ts dealers <count> <endpoint>
 *
 * The Router binds, prints `ready` with its endpoint, and echoes every request to the Dealer
 * that sent it. The dealers end waits for a `go` command on stdin, then makes `count` Dealer
 * sockets, connects each, sends one request each (its index) and awaits each reply, and prints
 * `done` with the time of its first connect and of its last reply (Date.now(), one clock for
 * every process of the machine), how many replies were right, and how long closing every
 * socket took. Both exit when their stdin ends.
 *
 * @module
 */

import process from "node:process";
import { Dealer, Router } from "../mod.ts";
import { commands, emit, memory } from "./child_io.ts";

const [role, countText, endpoint] = process.argv.slice(2);

if (role === "router") {
  const router = new Router();
  await router.bind("tcp://127.0.0.1:0");
  emit({ type: "ready", endpoint: router.lastEndpoint });
  let echoed = 0;
  const progress = setInterval(() => emit({ type: "progress", echoed }), 1000);
  void (async () => {
    for await (const [id, request] of router) {
      await router.send([id, request]);
      echoed++;
    }
  })();
  await commands(() => {});
  clearInterval(progress);
  emit({ type: "done", echoed, ...memory() });
  router.close();
} else if (role === "dealers") {
  const count = Number(countText);
  let go: () => void = () => {};
  const started = new Promise<void>((resolve) => go = resolve);
  const finished = commands((command) => {
    if (command.type === "go") go();
  });
  await started;
  const dealers: Dealer[] = [];
  const firstConnect = Date.now();
  for (let i = 0; i < count; i++) {
    const dealer = new Dealer();
    dealer.connect(endpoint);
    dealers.push(dealer);
  }
  const connectedAt = Date.now();
  let replied = 0;
  let right = 0;
  const progress = setInterval(() => emit({ type: "progress", replied }), 1000);
  await Promise.all(dealers.map(async (dealer, i) => {
    const request = new TextEncoder().encode(String(i));
    await dealer.send(request);
    const [reply] = await dealer.receive();
    replied++;
    if (new TextDecoder().decode(reply) === String(i)) right++;
  }));
  const lastReply = Date.now();
  clearInterval(progress);
  for (const dealer of dealers) dealer.close();
  const closeMs = Date.now() - lastReply;
  emit({
    type: "done",
    firstConnect,
    connectCallsMs: connectedAt - firstConnect,
    lastReply,
    replied,
    right,
    closeMs,
    ...memory(),
  });
  await finished;
} else {
  throw new TypeError(`role must be router or dealers, not ${role}`);
}
