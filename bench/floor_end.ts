/**
 * One end of a raw runtime floor: what the runtime running it can do over a plain tcp socket
 * with no ZMTP and no monocoque, the bound that monocoque on that runtime is measured against.
 * It uses the socket API of monocoque's adapter for the runtime (`bench/floor/`), and speaks the
 * protocol of `bench/end_protocol.ts`, so `bench/run.ts` runs it like the other ends:
 *
 *     floor_end.ts framed    role=bind|connect size=N count=N warmup=N [endpoints=HOST:PORT]
 *     floor_end.ts ping-pong role=bind|connect size=N count=N warmup=N [endpoints=HOST:PORT]
 *
 * `framed` is the throughput floor: the connecting end writes ZMTP-style frames
 * (`[flags, size, payload]`), as many as fit in 64 KiB per write, one write per turn of the
 * event loop, waiting for the stream to drain whenever it asks; payloads over 8 KiB go out as
 * their own write after their header, uncopied. The binding end parses and counts them, starts
 * its clock at the `warmup`-th and answers "g" on the same connection, then stops it at the
 * last and answers "d". `ping-pong` is the latency floor: length-prefixed messages of `size`
 * bytes, one outstanding, echoed whole by the binding end, each round trip timed with
 * `performance.now()`.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import {
  emitReady,
  emitResult,
  type EndArgs,
  reportProgress,
  runMain,
  runtimeInfo,
  throughput,
  UsageError,
} from "./end_protocol.ts";
import { frameCounter, frameHeader, messageParser, prefixedMessage } from "./floor/framing.ts";
import type { RawNet, RawStream } from "./floor/raw_stream.ts";
import { latencySummary } from "./stats.ts";

const HOST = "127.0.0.1";
/** Frames are copied into batches of about this size, one write per turn. */
const BATCH_BYTES = 64 * 1024;
/** Larger payloads are written as they are, after their header. */
const COPY_LIMIT = 8 * 1024;

async function runtimeNet(): Promise<RawNet> {
  const runtime = runtimeInfo().runtime;
  if (runtime === "deno") return (await import("./floor/deno_stream.ts")).denoNet;
  if (runtime === "bun") return (await import("./floor/bun_stream.ts")).bunNet;
  return (await import("./floor/node_stream.ts")).nodeNet;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Resolves with the next received byte, as text. */
function answers(stream: RawStream): () => Promise<string> {
  const received: string[] = [];
  let waiting: ((text: string) => void) | undefined;
  stream.onData((chunk) => {
    for (const byte of chunk) {
      const text = String.fromCharCode(byte);
      if (waiting === undefined) received.push(text);
      else {
        waiting(text);
        waiting = undefined;
      }
    }
  });
  return () => {
    const text = received.shift();
    return text === undefined
      ? new Promise((resolve) => (waiting = resolve))
      : Promise.resolve(text);
  };
}

async function expect(next: () => Promise<string>, expected: string): Promise<void> {
  const got = await next();
  if (got !== expected) throw new Error(`expected "${expected}", got "${got}"`);
}

/** Writes `count` frames of `size` bytes, batched, one write per turn. */
async function writeFrames(stream: RawStream, size: number, count: number): Promise<void> {
  const header = frameHeader(size);
  const payload = new Uint8Array(size);
  const frame = header.length + size;
  const perBatch = size > COPY_LIMIT ? 1 : Math.max(1, Math.floor(BATCH_BYTES / frame));
  const batch = new Uint8Array(perBatch * frame);
  if (size <= COPY_LIMIT) {
    for (let i = 0; i < perBatch; i++) batch.set(header, i * frame);
  }
  let left = count;
  while (left > 0) {
    const n = Math.min(perBatch, left);
    left -= n;
    let ok: boolean;
    if (size > COPY_LIMIT) {
      stream.write(header);
      ok = stream.write(payload);
    } else {
      // A fresh copy per write: the runtime may still hold the previous one.
      ok = stream.write(batch.slice(0, n * frame));
    }
    if (!ok) await stream.drained();
    else await nextTurn();
  }
}

/** Listens, says where in the "ready" line, and takes the one connection that comes. */
async function acceptOne(net: RawNet): Promise<RawStream> {
  const listener = await net.listen(HOST);
  emitReady([`${HOST}:${listener.port}`], {});
  const stream = await listener.accept();
  listener.close();
  return stream;
}

async function framed(net: RawNet, args: EndArgs): Promise<void> {
  const { size, count, warmup, role } = args;
  if (role === "connect") {
    const stream = await net.connect(HOST, port(args));
    const next = answers(stream);
    await writeFrames(stream, size, warmup);
    await expect(next, "g");
    const start = performance.now();
    await writeFrames(stream, size, count);
    const sendSeconds = (performance.now() - start) / 1000;
    await expect(next, "d");
    emitResult("connect", { sendSeconds });
    stream.close();
    return;
  }
  const stream = await acceptOne(net);
  const total = warmup + count;
  let received = 0;
  let start = 0;
  const stop = reportProgress(() => received);
  const seconds = await new Promise<number>((resolve, reject) => {
    const count = frameCounter(size, (n) => {
      if (received < warmup && n >= warmup) {
        start = performance.now();
        stream.write(Uint8Array.of(0x67));
      }
      received = n;
      if (n >= total) {
        resolve((performance.now() - start) / 1000);
        stream.write(Uint8Array.of(0x64));
      }
    });
    stream.onData((chunk) => {
      try {
        count(chunk);
      } catch (error) {
        reject(error);
      }
    });
  });
  stop();
  emitResult("bind", throughput(seconds, count, size));
  await stream.drained();
  stream.close();
}

async function pingPong(net: RawNet, args: EndArgs): Promise<void> {
  const { size, count, warmup, role } = args;
  const total = warmup + count;
  if (role === "connect") {
    const stream = await net.connect(HOST, port(args));
    let answered: (() => void) | undefined;
    stream.onData(messageParser((reply) => {
      if (reply.length !== size + 4) throw new Error(`expected ${size} bytes back`);
      answered?.();
    }));
    const message = prefixedMessage(size);
    const samples = new Float64Array(count);
    for (let i = 0; i < total; i++) {
      const start = performance.now();
      const reply = new Promise<void>((resolve) => (answered = resolve));
      stream.write(message);
      await reply;
      if (i >= warmup) samples[i - warmup] = (performance.now() - start) * 1000;
    }
    emitResult("connect", { ...latencySummary(samples) });
    stream.close();
    return;
  }
  const stream = await acceptOne(net);
  let echoed = 0;
  await new Promise<void>((resolve) => {
    stream.onData(messageParser((message) => {
      // The chunk is only valid during this call: the runtime may reuse it.
      stream.write(message.slice());
      if (++echoed === total) resolve();
    }));
  });
  emitResult("bind", { echoed });
  await stream.drained();
  stream.close();
}

function port(args: EndArgs): number {
  const endpoint = args.endpoints[0];
  const port = Number(endpoint?.split(":").at(-1));
  if (!Number.isInteger(port) || port <= 0) throw new UsageError(`bad endpoint ${endpoint}`);
  return port;
}

await runMain("floor_end.ts", async (args) => {
  const net = await runtimeNet();
  if (args.case === "framed") await framed(net, args);
  else if (args.case === "ping-pong") await pingPong(net, args);
  else throw new UsageError(`unknown case "${args.case}"`);
});
