/**
 * Quick interleaved A/B of Push → Pull throughput and Request/Reply latency
 * against native libzmq, the raw tcp floor and the zeromq package, for
 * bench/NOTES.md. Run with Node 24 (it spawns the ends):
 *
 *     cc -O2 -o /tmp/native bench/profile/native.c -lzmq
 *     node bench/profile/compare.ts [--runtime=node|deno|bun] [--impl=native,monocoque,raw,zeromq]
 *        (an impl "base=/tmp/base/mod.ts" runs another checkout, e.g. `git archive HEAD` unpacked)
 *                                   [--sizes=8,1024,65536,1048576] [--rounds=3] [--rr=20000] [--no-rr]
 *
 * Every round runs each implementation once per case, so noise from other
 * load on the machine spreads over all of them; the median is printed. For
 * our ends the CPU time per message of each process is printed too (the
 * sender's includes its start-up): it moves much less with other load.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { createServer } from "node:net";

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const text = a.replace(/^--/, "");
    const at = text.indexOf("=");
    return at < 0 ? [text, "true"] : [text.slice(0, at), text.slice(at + 1)];
  }),
);
const runtime = args.runtime ?? "node";
const impls = (args.impl ?? "native,monocoque,raw").split(",");
const sizes = (args.sizes ?? "8,1024,65536,1048576").split(",").filter((s) =>
  s !== "" && s !== "none"
)
  .map(Number);
const rounds = Number(args.rounds ?? 3);
const rrRounds = Number(args.rr ?? 20000);
const here = new URL(".", import.meta.url).pathname;
const bin = new URL("../../node_modules/.bin/", import.meta.url).pathname;

function command(impl: string, mode: string, endpoint: string, size: number, count?: number) {
  const rest = [endpoint, String(size), ...(count === undefined ? [] : [String(count)])];
  if (impl === "native") return ["/tmp/native", [mode, ...rest]] as const;
  const script = impl === "raw" ? `${here}raw.ts` : `${here}end.ts`;
  // "base=/path/mod.ts": another checkout of the library, for A/B against a baseline.
  const head = impl === "raw" ? [] : [impl.startsWith("base=") ? impl.slice(5) : impl];
  const runtimeName = impl === "zeromq" ? "node" : runtime;
  const runArgs = runtimeName === "deno" ? ["run", "-A", "--no-check"] : [];
  const rawMode = impl !== "raw"
    ? mode
    : { pull: "sink", push: "blast", rep: "echo", req: "ping" }[mode]!;
  return [bin + runtimeName, [...runArgs, script, ...head, rawMode, ...rest]] as const;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** Starts the binding end, waits for "ready", starts the other; returns the JSON line printed. */
async function pair(
  impl: string,
  bindMode: string,
  connectMode: string,
  size: number,
  count: number,
) {
  const endpoint = `tcp://127.0.0.1:${await freePort()}`;
  const [cmdA, argsA] = command(
    impl,
    bindMode,
    endpoint,
    size,
    bindMode === "rep" ? undefined : count,
  );
  const a = spawn(cmdA, argsA, { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: a.stdout! });
  const iterator = lines[Symbol.asyncIterator]();
  await iterator.next();
  const [cmdB, argsB] = command(impl, connectMode, endpoint, size, count);
  const b = spawn(cmdB, argsB, { stdio: ["ignore", "pipe", "inherit"] });
  let result: string | undefined;
  if (bindMode === "rep") {
    const out = createInterface({ input: b.stdout! });
    result = (await out[Symbol.asyncIterator]().next()).value;
    await new Promise((resolve) => b.once("exit", resolve));
    a.kill();
  } else {
    const out = createInterface({ input: b.stdout! });
    const sender = out[Symbol.asyncIterator]().next();
    result = (await iterator.next()).value;
    await new Promise((resolve) => a.once("exit", resolve));
    const sent = await Promise.race([sender, new Promise((r) => setTimeout(r, 5000))]) as
      | IteratorResult<string>
      | undefined;
    b.kill();
    const parsed = JSON.parse(result!);
    if (sent?.value) parsed.senderCpuSeconds = JSON.parse(sent.value).cpuSeconds;
    return parsed;
  }
  return JSON.parse(result!);
}

const median = (xs: number[]) => xs.slice().sort((x, y) => x - y)[Math.floor(xs.length / 2)];

for (const size of sizes) {
  const results: Record<string, number[]> = {};
  const recvNs: Record<string, number[]> = {};
  const sendNs: Record<string, number[]> = {};
  const count = size <= 64 ? 2_000_000 : Math.max(2000, Math.floor(2e9 / size));
  for (let r = 0; r < rounds; r++) {
    for (const impl of impls) {
      const n = impl === "zeromq" ? Math.min(count, 300_000) : count;
      const { msgs, seconds, cpuSeconds, senderCpuSeconds } = await pair(
        impl,
        "pull",
        "push",
        size,
        n,
      );
      (results[impl] ??= []).push(msgs / seconds);
      if (cpuSeconds !== undefined) (recvNs[impl] ??= []).push(cpuSeconds / msgs * 1e9);
      if (senderCpuSeconds !== undefined) (sendNs[impl] ??= []).push(senderCpuSeconds / msgs * 1e9);
    }
  }
  const base = results.native ? median(results.native) : undefined;
  for (const impl of impls) {
    const m = median(results[impl]);
    const ratio = base ? ` ${(m / base).toFixed(2)}x native` : "";
    const cpu = recvNs[impl]
      ? ` cpu/msg recv ${median(recvNs[impl]).toFixed(0)} ns send ${
        sendNs[impl] ? median(sendNs[impl]).toFixed(0) : "?"
      } ns`
      : "";
    console.log(
      `push-pull ${String(size).padStart(7)} B ${impl.slice(0, 9).padEnd(9)} ${runtime.padEnd(4)} ${
        Math.round(m).toLocaleString().padStart(10)
      } msg/s ${(m * size / 1e6).toFixed(0).padStart(5)} MB/s${ratio}${cpu}  [${
        results[impl].map((x) => Math.round(x / 1000) + "k").join(" ")
      }]`,
    );
  }
}

if (args["no-rr"] === undefined) {
  const results: Record<string, number[]> = {};
  const cpus: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const impl of impls) {
      const n = impl === "zeromq" ? Math.min(rrRounds, 10000) : rrRounds;
      const { meanUs, cpuUs } = await pair(impl, "rep", "req", 8, n);
      (results[impl] ??= []).push(meanUs);
      if (cpuUs !== undefined) (cpus[impl] ??= []).push(cpuUs);
    }
  }
  const raw = results.raw ? median(results.raw) : undefined;
  for (const impl of impls) {
    const m = median(results[impl]);
    const ratio = raw ? ` ${(m / raw).toFixed(2)}x raw` : "";
    const cpu = cpus[impl] ? ` requester cpu/round ${median(cpus[impl]).toFixed(1)} us` : "";
    console.log(
      `req-rep 8 B ${impl.slice(0, 9).padEnd(9)} ${runtime.padEnd(4)} ${
        m.toFixed(1).padStart(7)
      } us${ratio}${cpu}  [${results[impl].map((x) => x.toFixed(1)).join(" ")}]`,
    );
  }
}
