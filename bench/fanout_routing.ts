/**
 * The publisher's routing alone (`FanOut.send` over its subscription trie), in one process:
 * `--subscribers` pipes served by a connection that takes every message and does nothing with
 * it, so what is timed is the per-message work of choosing the pipes and handing each its
 * message, without encoding or I/O. For an A/B of the routing code in the same run, pass the
 * root of other source trees; each is timed in turn, interleaved, for `--rounds` rounds.
 *
 *     node bench/fanout_routing.ts [--subscribers=100] [--messages=200000] [--rounds=5]
 *                                  [--topics=1] [DIR...]
 *
 * `--topics=2` subscribes every pipe to both "" and "t" (each message then matches two topics,
 * the path that removes duplicates). Prints one JSON line per tree: the median ns per message
 * and per delivery, and the heap growth seen during a round (garbage per message).
 *
 * @module
 */

import { resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { integerArg, parseArgs } from "./child_process_group.ts";

const options = process.argv.slice(2).filter((arg) => arg.startsWith("--"));
const trees = process.argv.slice(2).filter((arg) => !arg.startsWith("--")).map((dir) =>
  resolve(dir)
);
if (trees.length === 0) trees.push(fileURLToPath(new URL("..", import.meta.url)));
const args = parseArgs(options);
const subscribers = integerArg(args, "subscribers", 100);
const messages = integerArg(args, "messages", 200_000);
const rounds = integerArg(args, "rounds", 5);
const topics = integerArg(args, "topics", 1);

interface Routing {
  send(message: Uint8Array[]): boolean;
}

async function setUp(tree: string): Promise<Routing> {
  const { FanOut } = await import(resolve(tree, "sockets/fan_out.ts"));
  const { Pipe } = await import(resolve(tree, "sockets/pipe.ts"));
  const fanOut = new FanOut({ subscription() {}, upstream() {} });
  const engine = {
    accepting: true,
    write() {},
    pull() {},
    setReading() {},
    sendSubscription() {},
  };
  const owner = { pipeReadable() {}, pipeWritable() {} };
  for (let i = 0; i < subscribers; i++) {
    const pipe = new Pipe(owner, 1000, 1000);
    pipe.attach(engine);
    fanOut.attach(pipe);
    fanOut.subscription(pipe, true, new Uint8Array(0));
    if (topics > 1) fanOut.subscription(pipe, true, new TextEncoder().encode("t"));
  }
  return fanOut;
}

const routings = await Promise.all(trees.map(setUp));
const message = [new TextEncoder().encode("t".padEnd(64, "."))];
const times = trees.map((): number[] => []);
const garbage = trees.map((): number[] => []);
for (let round = 0; round <= rounds; round++) {
  for (let t = 0; t < trees.length; t++) {
    const routing = routings[t];
    const heapBefore = process.memoryUsage().heapUsed;
    const start = process.hrtime.bigint();
    for (let i = 0; i < messages; i++) routing.send(message);
    const ns = Number(process.hrtime.bigint() - start);
    const grown = process.memoryUsage().heapUsed - heapBefore;
    // Round 0 warms the code up in every tree and is not counted.
    if (round > 0) {
      times[t].push(ns / messages);
      garbage[t].push(grown / messages);
    }
  }
}
const median = (values: number[]): number =>
  [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
for (let t = 0; t < trees.length; t++) {
  const perMessage = median(times[t]);
  process.stdout.write(
    JSON.stringify({
      tree: trees[t],
      subscribers,
      topics,
      nsPerMessage: Math.round(perMessage),
      nsPerDelivery: Math.round((perMessage / subscribers) * 10) / 10,
      roundsNsPerMessage: times[t].map(Math.round),
      heapBytesPerMessage: Math.round(median(garbage[t])),
    }) + "\n",
  );
}
