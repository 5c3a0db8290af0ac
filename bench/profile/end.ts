/**
 * One end of the quick A/B measurements in bench/NOTES.md, written with the
 * idiomatic API; runs unchanged on node, `deno run -A` and bun. With
 * `zeromq` as the first argument (Node only) the npm package runs instead;
 * with a path to a checkout's mod.ts, that checkout (for A/B against a baseline).
 *
 *     end.ts <monocoque|zeromq|path/mod.ts> pull <endpoint> <size> <count>   binds; prints {"msgs","seconds"}
 *     end.ts <monocoque|zeromq|path/mod.ts> push <endpoint> <size> <count>   connects and sends
 *     end.ts <monocoque|zeromq|path/mod.ts> rep  <endpoint> <size>           binds; echoes until killed
 *     end.ts <monocoque|zeromq|path/mod.ts> req  <endpoint> <size> <count>   connects; prints {"rounds","meanUs","cpuUs"}
 *
 * The receiving end prints "ready" once bound. Timing starts at the first
 * message received, so connection setup is not counted. Both ends of
 * Push → Pull also report the CPU seconds they spent (user + system), which
 * other load on the machine disturbs less than wall time.
 *
 * @module
 */

import { cpuSince, receiveCounted, roundTrips } from "./loops.ts";

const [implementation, mode, endpoint, sizeText, countText] = process.argv.slice(2);
const size = Number(sizeText);
const count = Number(countText ?? 0);
// deno-lint-ignore no-explicit-any
const zmq: any = implementation === "zeromq"
  ? await import("zeromq")
  : await import(implementation.endsWith("mod.ts") ? implementation : "../../mod.ts");
const payload = new Uint8Array(size);

if (mode === "pull") {
  const pull = new zmq.Pull();
  await pull.bind(endpoint);
  console.log("ready");
  const { seconds, cpuSeconds } = await receiveCounted(pull, count);
  console.log(JSON.stringify({ msgs: count, seconds, cpuSeconds }));
  pull.close();
} else if (mode === "push") {
  const push = new zmq.Push();
  push.connect(endpoint);
  const cpu = process.cpuUsage();
  for (let i = 0; i < count; i++) await push.send(payload);
  push.close();
  console.log(JSON.stringify({ cpuSeconds: cpuSince(cpu) }));
} else if (mode === "rep") {
  const rep = new zmq.Reply();
  await rep.bind(endpoint);
  console.log("ready");
  for await (const message of rep) await rep.send(message);
} else if (mode === "req") {
  const req = new zmq.Request();
  req.connect(endpoint);
  const { meanUs, cpuUs } = await roundTrips(req, payload, count);
  console.log(JSON.stringify({ rounds: count, meanUs, cpuUs }));
  req.close();
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
