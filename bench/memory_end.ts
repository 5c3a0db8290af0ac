/**
 * One end of the bounded-memory case (`bench/memory.ts`), run unchanged by `node`, `deno run -A`
 * and `bun`:
 *
 *     memory_end.ts pull <count> <size> <stalls> <stallMs>
 *     memory_end.ts push <count> <size> <fresh|ring> <endpoint>
 *
 * The Pull binds, prints `ready` with its endpoint, and reads `count` messages; at `stalls`
 * evenly spaced points it stops reading for `stallMs` (printing `stall`, then `resume`). Every
 * message carries its sequence number in its first 8 bytes (big endian) and the number's low
 * byte in its last; the Pull checks both and the count, and prints `done`. The Push connects,
 * sends `count` messages with `await push.send()` and prints `progress` with how many were sent every 100 ms, then `sent`. Both
 * exit when their stdin ends.
 *
 * A queued message is not copied, so the Push must not reuse its buffer while the message may
 * still wait in the pipe. `fresh` allocates a buffer per message, as most applications do: the
 * runtime's garbage collector then decides how much dead memory lingers. `ring` cycles through
 * 4 × the send high-water mark of buffers, more than can be queued or waiting to be encoded at
 * once (bodies this small are copied when encoded), so the memory left is the library's own;
 * the Pull's content check would catch a buffer reused too early.
 *
 * @module
 */

import process from "node:process";
import { Pull, Push } from "../mod.ts";
import { commands, delay, emit, memory } from "./child_io.ts";

const [role, countText, sizeText, ...rest] = process.argv.slice(2);
const count = Number(countText);
const size = Number(sizeText);
const finished = commands(() => {});

/** The runtime's view of the memory in MiB (heap used and total, buffers outside the heap). */
function heap(): { heapMiB: number; heapTotalMiB: number; externalMiB: number } {
  const usage = process.memoryUsage();
  const mib = (bytes: number): number => Math.round(bytes / 2 ** 20);
  return {
    heapMiB: mib(usage.heapUsed),
    heapTotalMiB: mib(usage.heapTotal),
    externalMiB: mib(usage.external),
  };
}

if (role === "pull") {
  const stalls = Number(rest[0]);
  const stallMs = Number(rest[1]);
  const pull = new Pull();
  await pull.bind("tcp://127.0.0.1:0");
  emit({ type: "ready", endpoint: pull.lastEndpoint });
  const stallEvery = Math.floor(count / (stalls + 1));
  let received = 0;
  let wrong = 0;
  let firstWrong: string | undefined;
  const progress = setInterval(() => emit({ type: "progress", received, ...heap() }), 250);
  for await (const [frame] of pull) {
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const sequence = view.getUint32(0) * 2 ** 32 + view.getUint32(4);
    if (sequence !== received || frame.length !== size || frame[size - 1] !== (received & 0xff)) {
      wrong++;
      firstWrong ??= `message ${received}: sequence ${sequence}, ${frame.length} bytes`;
    }
    received++;
    if (received === count) break;
    if (received % stallEvery === 0 && received / stallEvery <= stalls) {
      emit({ type: "stall", received, at: Date.now() });
      await delay(stallMs);
      emit({ type: "resume", received, at: Date.now() });
    }
  }
  clearInterval(progress);
  emit({ type: "done", received, wrong, firstWrong, ...memory() });
  await finished;
  pull.close();
} else if (role === "push") {
  const push = new Push();
  const ring = rest[0] === "ring"
    ? Array.from({ length: 4 * push.sendHighWaterMark }, () => new Uint8Array(size))
    : undefined;
  push.connect(rest[1]);
  let sent = 0;
  const progress = setInterval(
    () => emit({ type: "progress", sent, at: Date.now(), ...heap() }),
    100,
  );
  emit({ type: "started", at: Date.now() });
  for (; sent < count; sent++) {
    const message = ring === undefined ? new Uint8Array(size) : ring[sent % ring.length];
    const view = new DataView(message.buffer);
    view.setUint32(0, Math.floor(sent / 2 ** 32));
    view.setUint32(4, sent >>> 0);
    message[size - 1] = sent & 0xff;
    await push.send(message);
  }
  clearInterval(progress);
  emit({ type: "sent", sent, at: Date.now(), ...memory() });
  await finished;
  push.close();
} else {
  throw new TypeError(`role must be pull or push, not ${role}`);
}
