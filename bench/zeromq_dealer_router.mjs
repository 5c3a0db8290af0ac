// One end of the Dealer → Router throughput benchmark with the npm `zeromq` package (libzmq
// through Node-API, so Node only): the baseline for `bench/dealer_router.ts`, with the same
// arguments, the same stdout protocol (JSON lines: ready, progress, result) and the same
// start/stop handshake:
//
//     node zeromq_dealer_router.mjs receiver <size> <count> <warmup>
//     node zeromq_dealer_router.mjs sender   <size> <count> <warmup> <endpoint>
//
// Its fastest idiomatic use: default options (high-water marks of 1000), one payload buffer
// reused, `for (...) await dealer.send(payload)` (zeromq v6 rejects a second send in flight with
// EBUSY, so sends are awaited one by one) and `for await (const [id, payload] of router)`.

import { readFileSync } from "node:fs";
import process from "node:process";
import * as zmq from "zeromq";

function usage(message) {
  console.error(`zeromq_dealer_router.mjs: ${message}`);
  process.exit(2);
}

function integer(name, text, min) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) usage(`${name} must be an integer >= ${min}`);
  return value;
}

function memory() {
  try {
    const status = readFileSync("/proc/self/status", "utf8");
    const field = (name) => {
      const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
      return match === null ? null : Number(match[1]);
    };
    return { peakRssKiB: field("VmHWM"), rssKiB: field("VmRSS") };
  } catch {
    return { peakRssKiB: null, rssKiB: null };
  }
}

function emit(line) {
  console.log(JSON.stringify(line));
}

function text(frame) {
  return frame === undefined ? "<none>" : new TextDecoder().decode(frame);
}

async function receiver(size, count, warmup) {
  const router = new zmq.Router();
  await router.bind("tcp://127.0.0.1:0");
  emit({
    type: "ready",
    endpoint: router.lastEndpoint,
    runtime: "node",
    version: process.versions.node,
    libzmq: zmq.version,
  });

  const total = warmup + count;
  let received = 0;
  let start = 0;
  let end = 0;
  const progress = setInterval(
    () => emit({ type: "progress", received, rssKiB: memory().rssKiB }),
    1000,
  );
  try {
    for await (const message of router) {
      const [id, payload] = message;
      if (message.length !== 2 || payload.length !== size) {
        throw new Error(
          `message ${received + 1}: expected [id, ${size} bytes], got ${message.length} frames` +
            ` with a payload of ${payload?.length} bytes`,
        );
      }
      received++;
      if (received === warmup) {
        start = performance.now();
        await router.send([id, "go"]);
      } else if (received === total) {
        end = performance.now();
        await router.send([id, "done"]);
        break;
      }
    }
  } finally {
    clearInterval(progress);
  }
  if (received !== total) throw new Error(`the router closed after ${received} of ${total}`);
  const seconds = (end - start) / 1000;
  emit({
    type: "result",
    role: "receiver",
    size,
    count,
    warmup,
    seconds,
    messagesPerSecond: count / seconds,
    megabytesPerSecond: (count * size) / seconds / 1e6,
    ...memory(),
  });
  router.close();
}

async function sender(size, count, warmup, endpoint) {
  const dealer = new zmq.Dealer();
  dealer.connect(endpoint);
  const payload = new Uint8Array(size);

  for (let i = 0; i < warmup; i++) await dealer.send(payload);
  const [go] = await dealer.receive();
  if (text(go) !== "go") throw new Error(`expected "go", got "${text(go)}"`);

  const start = performance.now();
  for (let i = 0; i < count; i++) await dealer.send(payload);
  const sendSeconds = (performance.now() - start) / 1000;

  const [done] = await dealer.receive();
  if (text(done) !== "done") throw new Error(`expected "done", got "${text(done)}"`);
  emit({ type: "result", role: "sender", size, count, warmup, sendSeconds, ...memory() });
  dealer.close();
}

const [role, sizeText, countText, warmupText, endpoint] = process.argv.slice(2);
if (role !== "receiver" && role !== "sender") usage(`unknown role "${role}"`);
const size = integer("size", sizeText, 0);
const count = integer("count", countText, 1);
const warmup = integer("warmup", warmupText, 1);
if (role === "sender") {
  if (endpoint === undefined) usage("the sender needs the receiver's endpoint");
  await sender(size, count, warmup, endpoint);
} else {
  await receiver(size, count, warmup);
}
