/**
 * Scale: one Router in one process serves `--dealers` (default 10,000) Dealers, each with its
 * own tcp connection, one request and one reply each.
 *
 *     node bench/scale.ts --runtime=node|deno|bun [--dealers=N] [--processes=K] [--timeout=SECONDS]
 *
 * The Router and the Dealers run `bench/scale_end.ts` on the given runtime; the Dealers are
 * split over `--processes` processes (default 1) so that one process's event loop or file
 * descriptor limit can be taken out of the picture. Every process is started and the Router
 * bound before a `go` starts the clock (the Dealer processes take it once their runtime has
 * loaded the library): the time reported runs from the first `connect()` to
 * the last reply, over every Dealer process. VmRSS is sampled from /proc every 200 ms; each
 * process reports its own VmHWM at the end. Progress goes to stderr; one JSON line
 * `{"type":"result","case":"scale",...}` to stdout. `ok` says every Dealer got its own request
 * back, not whether the targets (30 s, 1 GiB) were met.
 *
 * @module
 */

import process from "node:process";
import {
  Child,
  integerArg,
  parseArgs,
  runCase,
  runtimeArg,
  runtimeCommand,
} from "./child_process_group.ts";

const args = parseArgs(process.argv.slice(2));
const runtime = runtimeArg(args);
const dealers = integerArg(args, "dealers", 10_000);
const processes = integerArg(args, "processes", 1);
const timeoutMs = integerArg(args, "timeout", 300) * 1000;

const router = new Child("router", runtimeCommand(runtime, "bench/scale_end.ts"), ["router"]);
const children = [router];

await runCase("scale", runtime, timeoutMs, children, async () => {
  const { endpoint } = await router.next("ready");
  const clients: Child[] = [];
  for (let i = 0; i < processes; i++) {
    const share = Math.floor(dealers / processes) + (i < dealers % processes ? 1 : 0);
    const label = processes === 1 ? "dealers" : `dealers-${i + 1}`;
    const client = new Child(label, runtimeCommand(runtime, "bench/scale_end.ts"), [
      "dealers",
      String(share),
      String(endpoint),
    ]);
    clients.push(client);
    children.push(client);
  }
  const replied = new Map<string, number>();
  const log = setInterval(() => {
    const total = [...replied.values()].reduce((sum, n) => sum + n, 0);
    const rss = children.map((child) => `${child.label} ${child.rss().trendMiB.at(-1)} MiB`);
    process.stderr.write(`[scale ${runtime}] replies ${total}/${dealers}, ${rss.join(", ")}\n`);
  }, 2000);
  try {
    for (const client of clients) {
      client.listen((event) => {
        if (event.type === "progress") replied.set(client.label, Number(event.replied));
      });
      client.send({ type: "go" });
    }
    const done = await Promise.all(clients.map((client) => client.next("done")));
    const first = Math.min(...done.map((event) => Number(event.firstConnect)));
    const last = Math.max(...done.map((event) => Number(event.lastReply)));
    const right = done.reduce((sum, event) => sum + Number(event.right), 0);
    const seconds = (last - first) / 1000;
    return {
      ok: right === dealers,
      seconds,
      details: {
        dealers,
        processes,
        replied: done.reduce((sum, event) => sum + Number(event.replied), 0),
        right,
        connectCallsMs: done.map((event) => event.connectCallsMs),
        closeMs: done.map((event) => event.closeMs),
        targetSeconds: 30,
        targetMiB: 1024,
      },
      ...(right === dealers ? {} : { problem: `${right} of ${dealers} Dealers got their reply` }),
    };
  } finally {
    clearInterval(log);
  }
});
