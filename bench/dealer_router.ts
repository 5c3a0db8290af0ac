/**
 * One end of the Dealer → Router throughput benchmark with monocoque, run unchanged by
 * `node`, `deno run -A` and `bun` (the orchestrator `bench/run.ts` spawns it; the libzmq
 * baseline `bench/zeromq_dealer_router.mjs` speaks the same protocol):
 *
 *     dealer_router.ts receiver <size> <count> <warmup>
 *     dealer_router.ts sender   <size> <count> <warmup> <endpoint>
 *
 * The receiver binds a Router to `tcp://127.0.0.1:0` and prints
 * `{"type":"ready","endpoint":...}`. The sender connects a Dealer to it and sends `warmup`
 * messages of `size` bytes (not timed). Once the receiver has all of them it starts its clock
 * and answers "go"; the sender then sends `count` more, and the clock stops when the receiver
 * has the last one. It answers "done", so the sender knows everything arrived before it
 * closes. Both ends print one `{"type":"result",...}` line, close their socket and exit by
 * themselves; the receiver also prints `{"type":"progress","received":n}` once a second, so a
 * stall shows how far it got.
 *
 * Idiomatic use only: default options (high-water marks of 1000), one payload buffer reused,
 * `for (...) await dealer.send(payload)` and `for await (const [id, payload] of router)`.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";
import { Dealer, Router } from "../mod.ts";

type Role = "receiver" | "sender";

function usage(message: string): never {
  console.error(`dealer_router.ts: ${message}`);
  console.error(
    "usage: dealer_router.ts receiver <size> <count> <warmup> | sender <size> <count> <warmup> <endpoint>",
  );
  process.exit(2);
}

function positiveInteger(name: string, text: string | undefined, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) usage(`${name} must be an integer >= ${min}`);
  return value;
}

/** Runtime name and version, read without runtime-specific types. */
function runtime(): { runtime: string; version: string } {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (g.Deno !== undefined) return { runtime: "deno", version: g.Deno.version.deno };
  if (g.Bun !== undefined) return { runtime: "bun", version: g.Bun.version };
  return { runtime: "node", version: process.versions.node };
}

/** Peak and current resident set size in KiB, from /proc (Linux; works on all three runtimes). */
function memory(): { peakRssKiB: number | null; rssKiB: number | null } {
  try {
    const status = readFileSync("/proc/self/status", "utf8");
    const field = (name: string): number | null => {
      const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
      return match === null ? null : Number(match[1]);
    };
    return { peakRssKiB: field("VmHWM"), rssKiB: field("VmRSS") };
  } catch {
    return { peakRssKiB: null, rssKiB: null };
  }
}

function emit(line: Record<string, unknown>): void {
  console.log(JSON.stringify(line));
}

function text(frame: Uint8Array | undefined): string {
  return frame === undefined ? "<none>" : new TextDecoder().decode(frame);
}

async function receiver(size: number, count: number, warmup: number): Promise<void> {
  const router = new Router();
  await router.bind("tcp://127.0.0.1:0");
  emit({ type: "ready", endpoint: router.lastEndpoint, ...runtime() });

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

async function sender(size: number, count: number, warmup: number, endpoint: string) {
  const dealer = new Dealer();
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
const size = positiveInteger("size", sizeText, 0);
const count = positiveInteger("count", countText, 1);
const warmup = positiveInteger("warmup", warmupText, 1);
if ((role as Role) === "sender") {
  if (endpoint === undefined) usage("the sender needs the receiver's endpoint");
  await sender(size, count, warmup, endpoint);
} else {
  await receiver(size, count, warmup);
}
