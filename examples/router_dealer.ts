// A Router answering a Dealer, over tcp on a free port. Runs unchanged on
//   node examples/router_dealer.ts
//   deno run -A examples/router_dealer.ts
//   bun examples/router_dealer.ts
import { Dealer, Router } from "../mod.ts";

const router = new Router();
await router.bind("tcp://127.0.0.1:0");

const dealer = new Dealer({ routingId: "client-1" });
dealer.connect(router.lastEndpoint!);

await dealer.send("ping");
const [id, request] = await router.receive();
console.log(
  `router got "${new TextDecoder().decode(request)}" from ${new TextDecoder().decode(id)}`,
);

await router.send([id, "pong"]);
const [reply] = await dealer.receive();
console.log(`dealer got "${new TextDecoder().decode(reply)}"`);

dealer.close();
router.close();
