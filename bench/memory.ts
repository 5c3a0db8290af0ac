/**
 * Bounded memory under a stalled reader: a Push sends `--count` (default 10 million) 1 KiB
 * messages with `await push.send()` to a Pull in another process that stops reading three
 * times for 3 s each. With the high-water marks honoured end to end, the Pull's inbound pipe
 * fills, its socket reads pause, the kernel buffers fill, the Push's outbound pipe fills and
 * `send()` blocks: both processes stay small however many messages go through.
 *
 *     node bench/memory.ts --runtime=node|deno|bun [--count=N] [--payload=fresh|ring]
 *                          [--stalls=3] [--stall-ms=3000] [--timeout=SECONDS]
 *
 * Both ends run `bench/memory_end.ts` on the given runtime. Their VmRSS is sampled from
 * /proc every 200 ms; they report their own VmHWM at the end. The Push's progress lines show
 * whether it blocked: during the second half of each stall (the first half gives the pipes
 * and the kernel buffers, which Linux grows up to tcp_rmem's maximum, time to fill), the
 * sent count must not move while its progress lines keep coming (a sender stuck in a busy
 * loop would print none). Progress goes to stderr; one JSON line
 * `{"type":"result","case":"memory",...}` to stdout. `ok` says the case ran correctly (every
 * message arrived, in order and intact, and the Push blocked in every stall), not whether
 * memory stayed under its target (compare `peakRssMiB` with 200).
 *
 * `--payload=fresh` (the default) has the Push allocate each message, as applications do;
 * `ring` has it cycle through a fixed set of buffers, which leaves out the garbage collector's
 * view of 10 million dead 1 KiB buffers and shows what the library itself holds (see
 * `bench/memory_end.ts`).
 *
 * @module
 */

import process from "node:process";
import {
  Child,
  type Event,
  integerArg,
  parseArgs,
  runCase,
  runtimeArg,
  runtimeCommand,
} from "./child_process_group.ts";

const SIZE = 1024;

const args = parseArgs(process.argv.slice(2));
const runtime = runtimeArg(args);
const count = integerArg(args, "count", 10_000_000);
const stalls = integerArg(args, "stalls", 3);
const stallMs = integerArg(args, "stall-ms", 3000);
const timeoutMs = integerArg(args, "timeout", 600) * 1000;
const payload = args.get("payload") ?? "fresh";
if (payload !== "fresh" && payload !== "ring") {
  throw new TypeError(`--payload must be fresh or ring, not ${payload}`);
}

const pull = new Child("pull", runtimeCommand(runtime, "bench/memory_end.ts"), [
  "pull",
  String(count),
  String(SIZE),
  String(stalls),
  String(stallMs),
]);
const children = [pull];

await runCase("memory", runtime, timeoutMs, children, async () => {
  const { endpoint } = await pull.next("ready");
  const push = new Child("push", runtimeCommand(runtime, "bench/memory_end.ts"), [
    "push",
    String(count),
    String(SIZE),
    payload,
    String(endpoint),
  ]);
  children.push(push);
  /** The Push's progress, timed by this process's clock (one clock for both children). */
  const sentAt: [at: number, sent: number][] = [];
  push.listen((event) => {
    if (event.type === "progress" || event.type === "sent") {
      sentAt.push([Date.now(), Number(event.sent)]);
    }
  });
  const stallsSeen: { start: number; received: number; end?: number }[] = [];
  let lastLog = 0;
  pull.listen((event) => {
    if (event.type === "stall") {
      stallsSeen.push({ start: Date.now(), received: Number(event.received) });
    }
    if (event.type === "resume") stallsSeen[stallsSeen.length - 1].end = Date.now();
    if (event.type === "progress" && Date.now() - lastLog >= 2000) {
      lastLog = Date.now();
      const sent = sentAt.at(-1)?.[1] ?? 0;
      const pushHeap = push.events.findLast((e) => e.type === "progress");
      const heaps = [event, pushHeap].map((e) =>
        e === undefined ? "" : `heap ${e.heapMiB}/${e.heapTotalMiB} external ${e.externalMiB}`
      );
      const rss = children.map((child, i) =>
        `${child.label} ${child.rss().trendMiB.at(-1)} MiB (${heaps[i]})`
      );
      process.stderr.write(
        `[memory ${runtime}] received ${event.received}, sent ${sent}, ${rss.join(", ")}\n`,
      );
    }
  });
  await push.next("started");
  const started = performance.now();
  const done: Event = await pull.next("done");
  const seconds = (performance.now() - started) / 1000;
  const sentEvent = await push.next("sent");
  // Whether the sender stood still in each stall, once the buffers had had time to fill.
  const sentBy = (time: number): number => {
    let sent = 0;
    for (const [at, value] of sentAt) if (at <= time) sent = value;
    return sent;
  };
  const stallReport = stallsSeen.map((stall) => {
    const end = stall.end ?? stall.start;
    const settled = sentBy(stall.start + stallMs / 2);
    const atEnd = sentBy(end);
    // Progress lines kept coming: the Push's event loop was idle, waiting in send(), not busy.
    const reports = sentAt.filter(([at]) => at > stall.start + stallMs / 2 && at <= end).length;
    return {
      receivedAtStall: stall.received,
      sentAfterSettle: settled,
      sentAtResume: atEnd,
      advancedWhileStalled: atEnd - settled,
      senderReportsWhileStalled: reports,
      inFlightAtResume: atEnd - stall.received,
    };
  });
  const blocked = stallReport.length === stalls &&
    stallReport.every((stall) =>
      stall.advancedWhileStalled === 0 && stall.senderReportsWhileStalled >= 3
    );
  const intact = done.received === count && done.wrong === 0;
  const problems = [
    ...(intact
      ? []
      : [`received ${done.received} of ${count}, ${done.wrong} wrong (${done.firstWrong})`]),
    ...(blocked ? [] : ["the Push did not block during every stall"]),
  ];
  return {
    ok: problems.length === 0,
    seconds,
    details: {
      count,
      size: SIZE,
      payload,
      received: done.received,
      wrong: done.wrong,
      sent: sentEvent.sent,
      messagesPerSecond: Math.round(count / seconds),
      stallMs,
      stalls: stallReport,
      senderBlockedInEveryStall: blocked,
      targetMiB: 200,
    },
    ...(problems.length === 0 ? {} : { problem: problems.join("; ") }),
  };
});
