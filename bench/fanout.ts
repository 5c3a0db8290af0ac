/**
 * Fan-out: one Publisher process, one process with `--subscribers` (default 100) Subscribers,
 * each its own tcp connection subscribed to "", `--size` (default 64) byte messages. The
 * figure is the aggregate delivered rate: the messages received over every subscriber, over
 * the seconds from the first data message received to the last. A Publisher drops for a
 * subscriber at its high-water mark (libzmq's behaviour, kept), so what counts is what
 * arrives, not what was sent.
 *
 *     node bench/fanout.ts [--impl=native,node,deno,bun] [--runs=3] [--count=200000]
 *                          [--subscribers=100] [--size=64] [--burst=1000] [--timeout=SECONDS]
 *
 * `native` is libzmq from C (`bench/fanout_native.c`, built with `cc -O2 ... -lzmq` into a
 * temporary directory), with the default send high-water mark of 1000 like the others; its
 * publisher outruns its I/O thread and drops most messages. `native-nohwm` is the same with no
 * high-water mark: nothing is dropped, so it shows how fast libzmq delivers when every message
 * counts; `node`, `deno` and `bun` run `bench/fanout_end.ts` with monocoque on
 * that runtime; `name=DIR` runs `DIR/bench/fanout_end.ts`, on Deno or Bun when `name` is
 * `deno` or `bun` and on Node otherwise, to compare another tree (say, an older commit) in the
 * same run. Runs are interleaved over the implementations.
 * `--burst` is how many messages monocoque's publisher sends before letting its event loop
 * turn. Progress and a table go to stderr; one JSON line per implementation
 * (`{"type":"result","case":"fanout",...}`, the median run) to stdout.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import {
  Child,
  integerArg,
  parseArgs,
  ROOT,
  type Runtime,
  runtimeCommand,
} from "./child_process_group.ts";

const args = parseArgs(process.argv.slice(2));
const impls = (args.get("impl") ?? "native,node,deno,bun").split(",");
const runs = integerArg(args, "runs", 3);
const count = integerArg(args, "count", 200_000);
const subscribers = integerArg(args, "subscribers", 100);
const size = integerArg(args, "size", 64);
const burst = integerArg(args, "burst", 1000);
const timeoutMs = integerArg(args, "timeout", 120) * 1000;

let nativeDir: string | undefined;
function command(impl: string): string[] {
  if (impl === "native" || impl === "native-nohwm") {
    if (nativeDir === undefined) {
      nativeDir = mkdtempSync(join(tmpdir(), "fanout-"));
      const source = join(ROOT, "bench", "fanout_native.c");
      execFileSync("cc", ["-O2", "-o", join(nativeDir, "fanout"), source, "-lzmq"]);
    }
    return [join(nativeDir, "fanout")];
  }
  const [name, dir] = impl.split("=");
  // "deno=DIR" runs DIR's end on Deno; any other name before "=" (a label) runs it on Node.
  const runtime = name === "deno" || name === "bun" || dir === undefined ? name : "node";
  if (runtime !== "node" && runtime !== "deno" && runtime !== "bun") {
    throw new TypeError(`unknown --impl ${impl}`);
  }
  return runtimeCommand(runtime as Runtime, join(dir ?? ROOT, "bench", "fanout_end.ts"));
}

interface Run {
  readonly ok: boolean;
  readonly rate: number;
  readonly received: number;
  readonly least: number;
  readonly most: number;
  readonly seconds: number;
  readonly sendSeconds: number;
  /** CPU time of each process from the start signal to the end, over the messages delivered. */
  readonly cpuMicrosPerDelivery: { pub: number; sub: number };
  readonly peakRssMiB: { pub: number; sub: number };
  readonly problem?: string;
}

async function run(impl: string): Promise<Run> {
  const cmd = command(impl);
  const pubArgs = impl === "native"
    ? ["pub", String(count), String(size)]
    : impl === "native-nohwm"
    ? ["pub", String(count), String(size), "0"]
    : ["pub", String(count), String(size), String(burst)];
  const pub = new Child("pub", cmd, pubArgs);
  const children = [pub];
  const sampler = setInterval(() => children.forEach((child) => child.sample()), 200);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
    });
    const body = async (): Promise<Run> => {
      const { endpoint } = await pub.next("ready");
      const sub = new Child("sub", cmd, ["sub", String(endpoint), String(subscribers)]);
      children.push(sub);
      await sub.next("ready");
      const cpuBefore = [pub.cpuSeconds(), sub.cpuSeconds()];
      pub.send({ type: "go" });
      const sent = await pub.next("sent");
      const done = await sub.next("done");
      const cpu = [pub.cpuSeconds() - cpuBefore[0], sub.cpuSeconds() - cpuBefore[1]];
      children.forEach((child) => child.sample());
      const received = Number(done.received);
      const seconds = Number(done.seconds);
      return {
        ok: received > 0,
        rate: received / seconds,
        received,
        least: Number(done.least),
        most: Number(done.most),
        seconds,
        sendSeconds: Number(sent.seconds),
        cpuMicrosPerDelivery: {
          pub: Math.round((cpu[0] / received) * 1e8) / 100,
          sub: Math.round((cpu[1] / received) * 1e8) / 100,
        },
        peakRssMiB: { pub: 0, sub: 0 },
      };
    };
    const result = await Promise.race([body(), timeout]);
    for (const child of children) child.endInput();
    await Promise.all(children.map((child) => child.ended));
    const peak = (child: Child): number => Math.max(child.rss().hwmMiB, child.rss().maxSampledMiB);
    return {
      ...result,
      peakRssMiB: { pub: peak(pub), sub: children[1] === undefined ? 0 : peak(children[1]) },
    };
  } catch (error) {
    return {
      ok: false,
      rate: 0,
      received: 0,
      least: 0,
      most: 0,
      seconds: 0,
      sendSeconds: 0,
      cpuMicrosPerDelivery: { pub: NaN, sub: NaN },
      peakRssMiB: { pub: 0, sub: 0 },
      problem: `${error instanceof Error ? error.message : error}`,
    };
  } finally {
    clearInterval(sampler);
    clearTimeout(timer);
    children.forEach((child) => child.kill());
    await Promise.all(children.map((child) => child.ended));
  }
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)];
}

const results = new Map<string, Run[]>(impls.map((impl) => [impl, []]));
try {
  for (let i = 0; i < runs; i++) {
    for (const impl of impls) {
      const result = await run(impl);
      results.get(impl)!.push(result);
      const r = result;
      const rate = Math.round(r.rate).toLocaleString("en");
      const cpu =
        `CPU µs/delivery pub ${r.cpuMicrosPerDelivery.pub} sub ${r.cpuMicrosPerDelivery.sub}`;
      const rss = `RSS pub ${r.peakRssMiB.pub} sub ${r.peakRssMiB.sub} MiB`;
      process.stderr.write(
        `[fanout ${impl} ${i + 1}/${runs}] ${rate} msg/s delivered (${r.received} in ` +
          `${r.seconds.toFixed(3)} s, per subscriber ${r.least}-${r.most} of ${count}; ` +
          `send loop ${r.sendSeconds.toFixed(3)} s; ${cpu}; ${rss})` +
          (r.problem === undefined ? "" : ` ${r.problem}`) + "\n",
      );
    }
  }
} finally {
  if (nativeDir !== undefined) rmSync(nativeDir, { recursive: true, force: true });
}
for (const [impl, list] of results) {
  const median = [...list].sort((x, y) => x.rate - y.rate)[Math.floor(list.length / 2)];
  const line = {
    type: "result",
    case: "fanout",
    impl,
    ok: list.every((r) => r.ok),
    seconds: median.seconds,
    peakRssMiB: {
      pub: Math.max(...list.map((r) => r.peakRssMiB.pub)),
      sub: Math.max(...list.map((r) => r.peakRssMiB.sub)),
    },
    details: {
      subscribers,
      size,
      count,
      burst,
      medianDeliveredPerSecond: Math.round(median.rate),
      medianCpuMicrosPerDelivery: {
        pub: medianOf(list.map((r) => r.cpuMicrosPerDelivery.pub)),
        sub: medianOf(list.map((r) => r.cpuMicrosPerDelivery.sub)),
      },
      deliveredPerSecond: list.map((r) => Math.round(r.rate)),
      deliveredFraction: list.map((r) =>
        Math.round((r.received / (count * subscribers)) * 1000) / 1000
      ),
      problems: list.flatMap((r) => r.problem === undefined ? [] : [r.problem]),
    },
  };
  process.stdout.write(JSON.stringify(line) + "\n");
}
